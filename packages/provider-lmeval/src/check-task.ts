/** Request-time checks of one lm-eval benchmark: the task is known, its config fits the schema and the rules around it. */
import { closestNames, compileSchema, toErrorDetails } from '@evalhub/core';
import type { BenchmarkTask, ValidationIssue } from '@evalhub/core';
import type { LmEvalCatalogEntry } from './catalog-types.js';
import { resolveDatasetPath } from './local-data.js';
import { benchmarkConfigSchema } from './options.js';

/** Benchmark `config` after checking. */
export interface BenchmarkSettings {
  num_fewshot?: number;
  limit?: number;
  dataset_path?: string;
  dataset_revision?: string;
  batch_size?: number;
  seed?: number;
  chat?: boolean;
  system_instruction?: string;
  gen_kwargs?: Record<string, string | number | boolean>;
}

/** What the checks need to know about the provider. */
export interface CheckContext {
  catalog: ReadonlyMap<string, LmEvalCatalogEntry>;
  customTasks: readonly string[];
  taskData?: Record<string, string>;
  dataRoot?: string;
  /** The interpreter running lm-eval is known (needed to pin a dataset revision). */
  knowsPython: boolean;
}

export interface CheckedTask {
  issues: ValidationIssue[];
  settings: BenchmarkSettings;
  entry?: LmEvalCatalogEntry;
  datasetFile?: string;
}

export function checkTask(task: BenchmarkTask, ctx: CheckContext): CheckedTask {
  const issues: ValidationIssue[] = [];
  const id = task.benchmark.benchmark_id;
  const entry = ctx.catalog.get(id);
  const custom = !entry && ctx.customTasks.includes(id);
  if (!entry && !custom) {
    const known = [...ctx.catalog.keys(), ...ctx.customTasks];
    const close = closestNames(id, known);
    issues.push({
      pointer: '',
      message:
        `Unknown lm-eval task '${id}'.` +
        (close.length > 0
          ? ` Did you mean ${close.map((c) => `'${c}'`).join(', ')}?`
          : ` Known tasks: ${known.join(', ')}.`),
    });
  }

  const config = task.benchmark.config ?? {};
  const schemaIssues = checkConfig(config);
  issues.push(...schemaIssues);
  // fields the schema flagged are left out, so the checks below see only well-typed values
  const flagged = new Set(schemaIssues.map((i) => i.pointer.split('/')[1]));
  const settings = Object.fromEntries(
    Object.entries(config).filter(([key]) => !flagged.has(key)),
  ) as BenchmarkSettings;
  // the one rule JSON Schema cannot say plainly: a limit of 1 or more counts documents
  if (typeof settings.limit === 'number' && settings.limit >= 1 && !Number.isInteger(settings.limit)) {
    issues.push({
      pointer: '/limit',
      message: 'limit must be a whole number of documents, or a fraction below 1.',
    });
  }

  const defaultData = ctx.taskData?.[id];
  if (settings.dataset_path === undefined && defaultData !== undefined && !custom)
    settings.dataset_path = defaultData;
  let datasetFile: string | undefined;
  if (settings.dataset_path !== undefined) {
    if (custom) {
      issues.push({
        pointer: '/dataset_path',
        message: `Custom task '${id}' reads its own data; dataset_path applies to catalog tasks.`,
      });
    } else if (entry && !entry.local_template) {
      issues.push({
        pointer: '/dataset_path',
        message: `Task '${id}' needs lm-eval's Python preprocessing and cannot run over a local JSONL file; write a custom task YAML instead.`,
      });
    } else {
      const resolved = resolveDatasetPath(ctx.dataRoot, settings.dataset_path);
      if (resolved.ok) datasetFile = resolved.path;
      else issues.push({ pointer: '/dataset_path', message: resolved.message });
    }
  }
  if (settings.dataset_revision !== undefined) {
    const problem = custom
      ? `Custom task '${id}' names its own data; dataset_revision applies to catalog tasks.`
      : settings.dataset_path !== undefined
        ? 'dataset_revision pins a hub dataset; it cannot be combined with dataset_path (a local file).'
        : entry?.subtasks !== undefined
          ? `'${id}' is a group of ${entry.subtasks} tasks; dataset_revision applies to single tasks.`
          : !ctx.knowsPython
            ? "dataset_revision needs the provider's `python` option when lm_eval_command is set."
            : undefined;
    if (problem) issues.push({ pointer: '/dataset_revision', message: problem });
  }
  if (settings.chat === true && entry?.needs_loglikelihood) {
    issues.push({
      pointer: '/chat',
      message: `Task '${id}' (${entry.output_type}) scores loglikelihoods, which chat endpoints cannot provide.`,
    });
  }
  return { issues, settings, entry, datasetFile };
}

let configValidator: ReturnType<typeof compileSchema> | undefined;

/** Checks a benchmark's `config` against the schema the catalog publishes (the only statement of it). */
export function checkConfig(config: Record<string, unknown>): ValidationIssue[] {
  configValidator ??= compileSchema(benchmarkConfigSchema);
  if (configValidator(config)) return [];
  return toErrorDetails(configValidator.errors).map((d) => ({ pointer: d.pointer, message: d.message }));
}
