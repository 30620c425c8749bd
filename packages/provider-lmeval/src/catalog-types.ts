/** One lm-eval task as the provider's catalog describes it (generated from the installed lm-eval). */
export interface LmEvalCatalogEntry {
  /** lm-eval task (or group) name; also the benchmark id. */
  id: string;
  name: string;
  description: string;
  category: string;
  /** lm-eval `output_type`: multiple_choice, loglikelihood, loglikelihood_rolling or generate_until. */
  output_type: string;
  /** Metric names as the provider reports them (see `metricName` for the filter rule). */
  metrics: string[];
  primary_metric: string | null;
  higher_is_better: Record<string, boolean>;
  version: number | string | null;
  /** The task's own default number of few-shot examples. */
  num_fewshot: number;
  /** True when the task scores loglikelihoods (needs `/v1/completions` with echo + prompt logprobs). */
  needs_loglikelihood: boolean;
  dataset: { path?: string; name?: string };
  /** The task's YAML, relative to lm-eval's `tasks/` folder. */
  yaml: string;
  /** Number of leaf tasks, for groups such as mmlu. */
  subtasks?: number;
  /** Prompt template and scoring keys reused for local-data runs; null when the task needs Python code. */
  local_template: Record<string, unknown> | null;
}
