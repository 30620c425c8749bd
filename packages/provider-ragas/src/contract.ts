/**
 * The JSON contract between this package and its Python runner (python/evalhub_ragas_runner.py).
 * Documented in the README ("Runner contract"); bump CONTRACT_VERSION on any breaking change.
 */
import type { JsonMode } from './config.js';
import type { RagasRow } from './dataset.js';

export const CONTRACT_VERSION = 1;

/** The input spec, written as JSON to a file whose path is the runner's only argument. */
export interface RunnerSpec {
  version: typeof CONTRACT_VERSION;
  metrics: readonly string[];
  /** Inline rows (canonical columns), or a file the runner reads itself (then `column_map` applies). */
  dataset: { rows: readonly RagasRow[] } | { path: string };
  /** Canonical column → dataset column, applied by the runner to a `path` dataset. */
  column_map?: Record<string, string>;
  /** Judge for LLM metrics. The API key travels in the environment variable named here, never in the file. */
  judge?: {
    base_url: string;
    model: string;
    api_key_env?: string;
    json_mode: JsonMode;
    timeout_seconds?: number;
    max_tokens?: number;
    temperature?: number;
    top_p?: number;
    /** HTTP retries of the OpenAI client (default 2). */
    max_retries?: number;
  };
  embeddings?: { base_url: string; model: string; api_key_env?: string; max_retries?: number };
  concurrency: number;
  /** Per scoring call (one metric on one row); the whole run is bounded by the hub's timeout. */
  timeout_seconds?: number;
  limit?: number;
  /** Where the runner writes the results file. */
  output: string;
}

/** Per-metric summary in the results file. `mean` is null when every row scored NaN. */
export interface MetricSummary {
  mean: number | null;
  count: number;
  nan_count: number;
  error_count: number;
  min: number | null;
  max: number | null;
}

export interface RowResult {
  index: number;
  /** Metric → score (null for NaN). */
  scores: Record<string, number | null>;
  /** Metric → why the row scored NaN, when a call failed. */
  errors?: Record<string, string>;
}

export interface RunnerResult {
  version: number;
  ragas_version: string;
  samples: number;
  duration_seconds: number;
  metrics: Record<string, MetricSummary>;
  rows: RowResult[];
}

/** Events, one JSON object per stdout line. */
export type RunnerEvent =
  | { event: 'start'; total_rows: number; metrics: string[]; ragas_version: string }
  | { event: 'progress'; completed: number; total: number }
  | { event: 'error'; kind: 'spec' | 'import' | 'metric' | 'internal'; message: string }
  | { event: 'done'; output: string };

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isScore = (v: unknown): v is number | null =>
  v === null || (typeof v === 'number' && Number.isFinite(v));

/** Parses one stdout line; undefined for anything that is not a well-formed contract event. */
export function parseRunnerEvent(line: string): RunnerEvent | undefined {
  const text = line.trim();
  if (!text.startsWith('{"event"')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(value)) return undefined;
  switch (value.event) {
    case 'progress':
      return isCount(value.completed) && isCount(value.total)
        ? { event: 'progress', completed: value.completed, total: value.total }
        : undefined;
    case 'error':
      return typeof value.message === 'string' && typeof value.kind === 'string'
        ? { event: 'error', kind: value.kind as 'spec', message: value.message }
        : undefined;
    case 'start':
      return isCount(value.total_rows) && Array.isArray(value.metrics)
        ? {
            event: 'start',
            total_rows: value.total_rows,
            metrics: value.metrics.map(String),
            ragas_version: String(value.ragas_version ?? ''),
          }
        : undefined;
    case 'done':
      return typeof value.output === 'string' ? { event: 'done', output: value.output } : undefined;
    default:
      return undefined;
  }
}

export class RunnerResultError extends Error {}

/** Checks the results file's shape against the metrics that were asked for. */
export function parseRunnerResult(value: unknown, metrics: readonly string[]): RunnerResult {
  const fail = (what: string): never => {
    throw new RunnerResultError(`RAGAS runner results are malformed: ${what}`);
  };
  if (!isObject(value)) return fail('not a JSON object');
  if (value.version !== CONTRACT_VERSION)
    fail(`version ${String(value.version)}, expected ${CONTRACT_VERSION}`);
  if (!isCount(value.samples)) fail('samples is not a count');
  if (!isObject(value.metrics)) fail('metrics is not an object');
  if (!Array.isArray(value.rows)) fail('rows is not a list');
  const summaries = value.metrics as Record<string, unknown>;
  for (const m of metrics) {
    const s = summaries[m];
    if (!isObject(s)) fail(`metric '${m}' is missing`);
    const summary = s as Record<string, unknown>;
    if (!isScore(summary.mean) || !isCount(summary.nan_count) || !isCount(summary.count))
      fail(`metric '${m}' has a bad summary`);
  }
  (value.rows as unknown[]).forEach((row, i) => {
    if (!isObject(row) || !isObject(row.scores)) fail(`row ${i} is malformed`);
    for (const score of Object.values((row as { scores: Record<string, unknown> }).scores))
      if (!isScore(score)) fail(`row ${i} has a non-numeric score`);
  });
  return {
    version: CONTRACT_VERSION,
    ragas_version: typeof value.ragas_version === 'string' ? value.ragas_version : 'unknown',
    samples: value.samples as number,
    duration_seconds: typeof value.duration_seconds === 'number' ? value.duration_seconds : 0,
    metrics: value.metrics as Record<string, MetricSummary>,
    rows: value.rows as RowResult[],
  };
}
