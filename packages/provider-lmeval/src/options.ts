/** Options of the lm-eval provider plugin (the `options` block of its entry in the hub config). */
export interface LmEvalProviderOptions {
  /** Python interpreter with lm-eval installed. Default: the hub's `python`, else `python3`. */
  python?: string;
  /**
   * Command that runs lm-eval instead of `<python> -m lm_eval`, e.g. `lm-eval` or
   * `["/opt/venv/bin/lm-eval"]`. The `run` subcommand and the flags are appended.
   */
  lm_eval_command?: string | string[];
  /** Root folder `dataset_path` must stay inside. Default: the hub's data root. */
  data_root?: string;
  /** Folder of custom lm-eval task YAMLs (passed as `--include_path`); their tasks become benchmarks. */
  tasks_dir?: string;
  /** Parallel requests to the model server (`num_concurrent`). Default 4. */
  concurrency?: number;
  /** Retries per request (`max_retries`). Default 3. */
  max_retries?: number;
  /** lm-eval tokenizer backend for completions models. Default `remote` (the server's /tokenize). */
  tokenizer_backend?: 'remote' | 'huggingface' | 'tiktoken' | 'none';
  /** Tokenizer for the `huggingface` backend: a local folder (nothing is downloaded). */
  tokenizer?: string;
  /** Prompts per request (`--batch_size`). Default 1. */
  batch_size?: number;
  /** `--limit` applied when a benchmark sets none (documents per task). Default: no limit. */
  default_limit?: number;
  /** Timeout of one model request, in seconds (`timeout` model arg). Default 300. */
  request_timeout_seconds?: number;
  /** Run the preflight probes (reachability, chat-only endpoint, prompt logprobs). Default true. */
  preflight?: boolean;
  /**
   * Default `dataset_path` per benchmark id (JSONL under the data root), used when a request gives
   * none — so an air-gapped hub can serve `{"benchmark_id": "arc_easy"}` from its own copy.
   */
  task_data?: Record<string, string>;
}

/** JSON Schema (draft 2020-12) of the options, checked by the hub's loader. */
export const optionsSchema: Record<string, unknown> = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  additionalProperties: false,
  properties: {
    python: { type: 'string', minLength: 1, description: 'Python interpreter with lm-eval installed.' },
    lm_eval_command: {
      description: 'Command replacing `<python> -m lm_eval`.',
      oneOf: [
        { type: 'string', minLength: 1 },
        { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
      ],
    },
    data_root: { type: 'string', minLength: 1, description: 'Root folder dataset_path must stay inside.' },
    tasks_dir: { type: 'string', minLength: 1, description: 'Folder of custom lm-eval task YAMLs.' },
    concurrency: { type: 'integer', minimum: 1, maximum: 256, default: 4 },
    max_retries: { type: 'integer', minimum: 0, maximum: 20, default: 3 },
    tokenizer_backend: { enum: ['remote', 'huggingface', 'tiktoken', 'none'], default: 'remote' },
    tokenizer: { type: 'string', minLength: 1 },
    batch_size: { type: 'integer', minimum: 1, maximum: 1024, default: 1 },
    default_limit: { type: 'number', exclusiveMinimum: 0 },
    request_timeout_seconds: { type: 'number', exclusiveMinimum: 0, default: 300 },
    preflight: { type: 'boolean', default: true },
    task_data: {
      type: 'object',
      description: 'Default dataset_path per benchmark id, for requests that give none.',
      additionalProperties: { type: 'string', minLength: 1 },
    },
  },
};

/** JSON Schema of a benchmark's `config` for this provider (shown in the catalog). */
export const benchmarkConfigSchema: Record<string, unknown> = {
  type: 'object',
  additionalProperties: false,
  properties: {
    num_fewshot: {
      type: 'integer',
      minimum: 0,
      maximum: 100,
      description: 'Few-shot examples (default: the task default).',
    },
    limit: {
      type: 'number',
      exclusiveMinimum: 0,
      description: 'Documents per task (<1: a fraction). For testing only.',
    },
    dataset_path: {
      type: 'string',
      minLength: 1,
      description: 'JSONL file under the data root, run with the task template.',
    },
    batch_size: { type: 'integer', minimum: 1, maximum: 1024 },
    seed: { type: 'integer', minimum: 0 },
    chat: { type: 'boolean', description: 'Use /v1/chat/completions (generate_until tasks only).' },
    system_instruction: { type: 'string' },
    gen_kwargs: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } },
  },
};
