import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { metricName } from './metric-name.js';

/** The subset of lm-eval's results JSON the provider reads (lm_eval/result_schema.py). */
export interface LmEvalResultsFile {
  results?: Record<string, Record<string, unknown>>;
  groups?: Record<string, Record<string, unknown>>;
  group_subtasks?: Record<string, string[]>;
  versions?: Record<string, unknown>;
  'n-shot'?: Record<string, unknown>;
  'n-samples'?: Record<string, { original?: number; effective?: number }>;
  higher_is_better?: Record<string, Record<string, boolean>>;
  lm_eval_version?: string;
  total_evaluation_time_seconds?: string | number;
  [key: string]: unknown;
}

export interface ParsedResults {
  /** Metric name (filter rule of `metricName`) → value; non-numeric values (e.g. "N/A" stderr) are dropped. */
  metrics: Record<string, number>;
  /** Documents evaluated (sum of `n-samples.effective` over the task's leaf tasks). */
  samples?: number;
  /** Documents available before `--limit`. */
  samplesOriginal?: number;
  params: Record<string, string | number | boolean>;
  /** Leaf tasks whose samples files belong to this benchmark. */
  leafTasks: string[];
}

/** The files below `dir` (recursive, names in order within a folder); an unreadable folder is skipped. */
async function filesBelow(dir: string): Promise<{ path: string; name: string }[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const files: { path: string; name: string }[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await filesBelow(path)));
    else if (entry.isFile()) files.push({ path, name: entry.name });
  }
  return files;
}

/** Newest `results_*.json` below `dir` (recursive), by modification time then name; undefined if none. */
export async function findNewestResultsFile(dir: string, since?: number): Promise<string | undefined> {
  let best: { path: string; mtime: number } | undefined;
  for (const { path, name } of await filesBelow(dir)) {
    if (!/^results_.*\.json$/.test(name)) continue;
    const { mtimeMs } = await stat(path);
    if (since !== undefined && mtimeMs < since) continue;
    if (!best || mtimeMs > best.mtime || (mtimeMs === best.mtime && path > best.path))
      best = { path, mtime: mtimeMs };
  }
  return best?.path;
}

/** All `samples_<task>_*.jsonl` files below `dir` for the given task names. */
export async function findSamplesFiles(dir: string, tasks: readonly string[]): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const { path, name } of await filesBelow(dir)) {
    // samples_<task>_<ISO datetime>.jsonl; task names may contain underscores
    const match = /^samples_(.+)_\d{4}-\d{2}-\d{2}T[\d.-]+\.jsonl$/.exec(name);
    if (match?.[1] && tasks.includes(match[1])) found.set(match[1], path);
  }
  return found;
}

function leafTasksOf(file: LmEvalResultsFile, task: string): string[] {
  const groups = file.group_subtasks ?? {};
  const children = groups[task];
  if (!children || children.length === 0) return [task];
  return children.flatMap((child) => leafTasksOf(file, child));
}

function scalar(value: unknown): string | number | boolean | undefined {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return undefined;
}

/**
 * Extracts one task's (or group's) metrics from an lm-eval results file. `task` is the name lm-eval
 * used (for local-data runs, the generated task name).
 */
export function parseResults(file: LmEvalResultsFile, task: string): ParsedResults {
  const block = file.groups?.[task] ?? file.results?.[task];
  if (!block) {
    const known = Object.keys(file.results ?? {}).join(', ') || 'none';
    throw new Error(`The results file has no entry for task '${task}' (tasks present: ${known}).`);
  }
  const metrics: Record<string, number> = {};
  for (const [key, value] of Object.entries(block)) {
    const name = metricName(key);
    if (name === undefined) continue;
    // lm-eval writes floats as JSON numbers; stderr may be the string "N/A"
    if (typeof value === 'number' && Number.isFinite(value)) metrics[name] = value;
  }

  const leafTasks = leafTasksOf(file, task);
  let samples: number | undefined;
  let samplesOriginal: number | undefined;
  for (const leaf of leafTasks) {
    const n = file['n-samples']?.[leaf];
    if (typeof n?.effective === 'number') samples = (samples ?? 0) + n.effective;
    if (typeof n?.original === 'number') samplesOriginal = (samplesOriginal ?? 0) + n.original;
  }

  const params: Record<string, string | number | boolean> = {};
  const version = scalar(file.versions?.[task]);
  if (version !== undefined) params.task_version = version;
  const nShot = scalar(file['n-shot']?.[task] ?? file['n-shot']?.[leafTasks[0] ?? '']);
  if (nShot !== undefined) params.num_fewshot = nShot;
  if (typeof file.lm_eval_version === 'string') params.lm_eval_version = file.lm_eval_version;
  if (samplesOriginal !== undefined) params.samples_original = samplesOriginal;
  if (leafTasks.length > 1) params.subtasks = leafTasks.length;
  const limit = (file.config as { limit?: unknown } | undefined)?.limit;
  if (typeof limit === 'number') params.limit = limit;

  return { metrics, samples, samplesOriginal, params, leafTasks };
}
