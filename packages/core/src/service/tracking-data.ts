import type { TrackingBatch } from '../extension-points/tracker.js';
import type { BenchmarkRun, Evaluation } from '../types.js';
import { redactUrl } from '../redaction.js';
import { evaluationCache } from './benchmark-gateway.js';

// `token` only as a word of its own (`token`, `hf_token`, `token_path`), so generation settings such
// as `max_tokens` and `tokenizer` are still tracked.
const SECRET_KEY =
  /(api[_-]?key|secret|password|passwd|authorization|credential|bearer|(^|[_.-])token($|[_.-]))/i;

/** True for setting names that must never be tracked or logged. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

function paramValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Flattens nested settings to `prefix.key.sub` entries, dropping secrets. */
export function flattenSettings(
  prefix: string,
  value: unknown,
  out: Record<string, string> = {},
): Record<string, string> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (isSecretKey(k)) continue;
      flattenSettings(prefix ? `${prefix}.${k}` : k, v, out);
    }
  } else if (value !== undefined) out[prefix] = paramValue(value);
  return out;
}

/** Params of the evaluation: model configuration and every benchmark's settings, namespaced. */
export function evaluationParams(e: Evaluation): Record<string, string> {
  const params: Record<string, string> = {
    'model.name': e.model.name,
    'model.server': e.model.server,
    'model.url': redactUrl(e.model.url),
  };
  flattenSettings('model', e.model.configuration, params);
  for (const b of e.benchmarks) flattenSettings(b.benchmark_id, b.config, params);
  if (e.collection_id) params.collection_id = e.collection_id;
  return params;
}

/**
 * Metrics, params and tags of one finished benchmark: `{benchmark_id}.{metric}` plus performance
 * data (`{benchmark_id}.perf.*` from the model gateway), and the cache markers (the benchmark's, and
 * the run's over the benchmarks of `e` so far) when model answers came from the response cache.
 */
export function benchmarkBatch(b: BenchmarkRun, timestamp: number, e?: Evaluation): TrackingBatch {
  const metrics: Record<string, number> = {};
  const params: Record<string, string> = {};
  const r = b.results;
  if (r) {
    for (const [k, v] of Object.entries(r.metrics))
      metrics[`${b.benchmark_id}.${k}`] = typeof v === 'number' ? v : Number(v);
    if (r.samples !== undefined) metrics[`${b.benchmark_id}.samples`] = r.samples;
    for (const [k, v] of Object.entries(r.params ?? {})) params[`${b.benchmark_id}.${k}`] = paramValue(v);
  }
  if (b.started_at && b.finished_at) {
    metrics[`${b.benchmark_id}.duration_seconds`] =
      (Date.parse(b.finished_at) - Date.parse(b.started_at)) / 1000;
  }
  for (const [k, v] of Object.entries(b.perf ?? {})) metrics[`${b.benchmark_id}.perf.${k}`] = v;
  const tags: Record<string, string> = { [`evalhub.benchmark.${b.benchmark_id}.status`]: b.status };
  if (b.cache) tags[`evalhub.benchmark.${b.benchmark_id}.cache`] = b.cache;
  const runCache = e && evaluationCache(e);
  if (runCache) tags['evalhub.cache'] = runCache;
  return { metrics, params, tags, timestamp };
}

/** Scores of the whole evaluation as `{benchmark_id}.{metric}` → value. */
export function evaluationScores(e: Evaluation): Record<string, number | string> {
  const scores: Record<string, number | string> = {};
  for (const b of e.benchmarks)
    for (const [k, v] of Object.entries(b.results?.metrics ?? {})) scores[`${b.benchmark_id}.${k}`] = v;
  return scores;
}

/** The evaluation summary artifact: request (secrets removed), statuses, errors and scores. */
export function evaluationSummary(e: Evaluation): Record<string, unknown> {
  return {
    evaluation_id: e.id,
    status: e.status,
    model: {
      server: e.model.server,
      name: e.model.name,
      url: redactUrl(e.model.url),
      configuration: flattenSettings('', e.model.configuration),
    },
    experiment: e.experiment ?? null,
    collection_id: e.collection_id ?? null,
    benchmarks: e.benchmarks.map((b) => ({
      benchmark_id: b.benchmark_id,
      provider_id: b.provider_id,
      config: flattenSettings('', b.config),
      status: b.status,
      error: b.error ?? null,
      primary_metric: b.results?.primary_metric ?? null,
      metrics: b.results?.metrics ?? {},
      samples: b.results?.samples ?? null,
      duration_seconds: b.results?.duration_seconds ?? null,
    })),
    scores: evaluationScores(e),
    error: e.error ?? null,
    created_at: e.created_at,
    started_at: e.started_at ?? null,
    finished_at: e.finished_at ?? null,
  };
}
