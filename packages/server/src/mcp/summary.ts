import type { Evaluation } from '@evalhub/core';

/** What an assistant needs of an evaluation: state, scores per benchmark, errors and MLflow links. */
export function summarize(e: Evaluation): Record<string, unknown> {
  const scores: Record<string, number | string> = {};
  for (const b of e.benchmarks)
    for (const [k, v] of Object.entries(b.results?.metrics ?? {})) scores[`${b.benchmark_id}.${k}`] = v;
  return {
    id: e.id,
    status: e.status,
    model: { name: e.model.name, url: e.model.url },
    ...(e.experiment ? { experiment: e.experiment.name } : {}),
    ...(e.collection_id ? { collection_id: e.collection_id } : {}),
    benchmarks: e.benchmarks.map((b) => ({
      benchmark_id: b.benchmark_id,
      provider_id: b.provider_id,
      status: b.status,
      progress: b.progress.fraction,
      ...(b.results ? { metrics: b.results.metrics } : {}),
      ...(b.error ? { error: b.error.message } : {}),
    })),
    scores,
    ...(e.error ? { error: e.error.message } : {}),
    mlflow: {
      tracking: e.tracking.state,
      ...(e.tracking.experiment_name ? { experiment: e.tracking.experiment_name } : {}),
      ...(e.tracking.run_id ? { run_id: e.tracking.run_id } : {}),
      ...(e.tracking.links?.experiment ? { experiment_url: e.tracking.links.experiment } : {}),
      ...(e.tracking.links?.run ? { run_url: e.tracking.links.run } : {}),
    },
    created_at: e.created_at,
    ...(e.finished_at ? { finished_at: e.finished_at } : {}),
  };
}

/** Every score of two evaluations side by side, with b − a where both are numbers. */
export function compare(a: Evaluation, b: Evaluation): Record<string, unknown> {
  const sa = summarize(a).scores as Record<string, number | string>;
  const sb = summarize(b).scores as Record<string, number | string>;
  const metrics = [...new Set([...Object.keys(sa), ...Object.keys(sb)])].sort();
  return {
    a: { id: a.id, status: a.status, model: a.model.name },
    b: { id: b.id, status: b.status, model: b.model.name },
    metrics: metrics.map((m) => {
      const va = sa[m];
      const vb = sb[m];
      return {
        metric: m,
        ...(va !== undefined ? { a: va } : {}),
        ...(vb !== undefined ? { b: vb } : {}),
        ...(typeof va === 'number' && typeof vb === 'number' ? { delta: vb - va } : {}),
      };
    }),
  };
}
