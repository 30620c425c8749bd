import type { ApiSchemas, BenchmarkRun, Evaluation } from '@evalhub/core';
import { isExtensionTag, readExtension, type BenchmarkExtra, type JobExtension } from './job-extension.js';

export type Job = ApiSchemas['EvalHubJob'];
type JobStatus = Job['status'];
type JobResults = Job['results'];
type Message = NonNullable<JobStatus['message']>;
type BenchmarkTest = ApiSchemas['EvalHubBenchmarkTest'];

const DEFAULT_JOB_THRESHOLD = 0.5;

/** A metric by the name eval-hub users give (`acc`, `acc,none` or MLflow's `acc_none`). */
export function findMetric(metrics: Record<string, number | string>, name: string): number | undefined {
  const candidates = [name, `${name},none`, name.replace(/_none$/, ',none'), name.replace(/,none$/, '')];
  for (const c of candidates) {
    const v = metrics[c];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  const sanitized = Object.entries(metrics).find(([k]) => k.replace(/[^A-Za-z0-9_\-. :/]/g, '_') === name);
  return typeof sanitized?.[1] === 'number' ? sanitized[1] : undefined;
}

/** eval-hub's benchmark test: the primary score against the benchmark's pass threshold. */
export function benchmarkTest(b: BenchmarkRun, extra: BenchmarkExtra): BenchmarkTest | undefined {
  const metrics = b.results?.metrics;
  const metric = extra.primary_score?.metric ?? b.results?.primary_metric;
  const threshold = extra.pass_criteria?.threshold;
  if (!metrics || !metric || threshold === undefined) return undefined;
  const value = findMetric(metrics, metric);
  if (value === undefined) return undefined;
  const lower = extra.primary_score?.lower_is_better ?? false;
  return {
    primary_score: value,
    primary_score_metric: metric,
    threshold,
    pass: lower ? value <= threshold : value >= threshold,
  };
}

/** eval-hub's job test (only for a completed job): the weighted mean of the benchmarks' primary scores. */
export function jobTest(
  e: Evaluation,
  ext: JobExtension,
  tests: (BenchmarkTest | undefined)[],
): NonNullable<JobResults['test']> | undefined {
  if (e.status !== 'completed') return undefined;
  let sum = 0;
  let weights = 0;
  tests.forEach((t, i) => {
    if (!t) return;
    const extra = ext.benchmarks?.[i] ?? {};
    const w = extra.weight && extra.weight > 0 ? extra.weight : 1;
    const s = extra.primary_score?.lower_is_better ? 1 - t.primary_score : t.primary_score;
    sum += w * s;
    weights += w;
  });
  if (weights === 0) return undefined;
  const score = sum / weights;
  const threshold = ext.pass_criteria?.threshold ?? DEFAULT_JOB_THRESHOLD;
  return { score, threshold, pass: score >= threshold };
}

function statusMessage(e: Evaluation, notes: readonly string[]): Message {
  const done = e.benchmarks.filter((b) => b.status === 'completed').length;
  const base: Record<Evaluation['status'], [string, string]> = {
    pending: ['evaluation_job_created', 'Evaluation job created.'],
    running: ['evaluation_job_running', `Running: ${done} of ${e.benchmarks.length} benchmarks completed.`],
    completed: ['evaluation_job_completed', 'Evaluation job completed.'],
    partially_failed: [
      'evaluation_job_partially_failed',
      `Evaluation job partially failed: ${e.error?.message ?? ''}`.trim(),
    ],
    failed: ['evaluation_job_failed', `Evaluation job failed: ${e.error?.message ?? ''}`.trim()],
    cancelled: ['evaluation_job_cancelled', 'Evaluation job cancelled.'],
  };
  const [code, text] = base[e.status];
  const tracking =
    e.tracking.state === 'failed' || (e.tracking.state === 'pending' && e.tracking.last_error)
      ? ` MLflow tracking is ${e.tracking.state}: ${e.tracking.last_error ?? ''}`.trimEnd()
      : '';
  const ignored = notes.length ? ` Not used by this hub: ${notes.join(' ')}` : '';
  return { message: `${text}${tracking}${ignored}`, message_code: code, message_origin: 'server' };
}

/**
 * Our evaluation seen as an eval-hub job: computed on every read, never stored. Evaluations submitted
 * through our own API show too (their name is the experiment's name, or the id).
 */
export function toJobView(e: Evaluation): Job {
  const { name, ext } = readExtension(e);
  const runId = e.tracking.run_id;
  const extras = e.benchmarks.map((_, i) => ext.benchmarks?.[i] ?? {});
  const tests = e.benchmarks.map((b, i) => benchmarkTest(b, extras[i]!));
  const userTags = Object.entries(e.experiment?.tags ?? {}).filter(([k]) => !isExtensionTag(k));
  const test = jobTest(e, ext, tests);
  const { configuration } = e.model;
  return {
    resource: {
      id: e.id,
      created_at: e.created_at,
      updated_at: e.updated_at,
      ...(e.tracking.experiment_id ? { mlflow_experiment_id: e.tracking.experiment_id } : {}),
    },
    name: name ?? e.experiment?.name ?? e.id,
    ...(ext.description !== undefined ? { description: ext.description } : {}),
    tags: ext.tags ?? [],
    model: {
      url: e.model.url,
      name: e.model.name,
      ...(Object.keys(configuration).length ? { parameters: configuration } : {}),
    },
    benchmarks: e.benchmarks.map((b, i) => ({
      id: b.benchmark_id,
      provider_id: b.provider_id,
      parameters: b.config,
      ...extras[i],
    })),
    ...(ext.collection || e.collection_id
      ? { collection: { id: (ext.collection ?? e.collection_id)! } }
      : {}),
    ...(ext.pass_criteria ? { pass_criteria: ext.pass_criteria } : {}),
    ...(e.experiment
      ? {
          experiment: {
            name: e.experiment.name,
            tags: userTags.map(([key, value]) => ({ key, value })),
          },
        }
      : {}),
    status: {
      state: e.status,
      message: statusMessage(e, ext.notes ?? []),
      benchmarks: e.benchmarks.map((b, i) => ({
        id: b.benchmark_id,
        provider_id: b.provider_id,
        benchmark_index: i,
        status: b.status,
        ...(b.error ? { error_message: { message: b.error.message, message_code: b.error.code } } : {}),
        ...(b.started_at ? { started_at: b.started_at } : {}),
        ...(b.finished_at ? { completed_at: b.finished_at } : {}),
      })),
    },
    results: {
      benchmarks: e.benchmarks.flatMap((b, i) =>
        b.results
          ? [
              {
                id: b.benchmark_id,
                provider_id: b.provider_id,
                benchmark_index: i,
                metrics: b.results.metrics,
                artifacts: Object.fromEntries(
                  (b.artifacts ?? []).map((a) => [
                    a.name,
                    { size: a.size, ...(a.content_type ? { content_type: a.content_type } : {}) },
                  ]),
                ),
                ...(runId ? { mlflow_run_id: runId } : {}),
                ...(tests[i] ? { test: tests[i] } : {}),
              },
            ]
          : [],
      ),
      ...(test ? { test } : {}),
      ...(e.tracking.links?.experiment ? { mlflow_experiment_url: e.tracking.links.experiment } : {}),
    },
  };
}
