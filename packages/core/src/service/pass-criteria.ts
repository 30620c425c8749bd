import type { Benchmark, PassCriterion } from '../types.js';

/**
 * A benchmark's `pass_criteria` checked against its catalog entry at submission: the metric it
 * names must be one of the benchmark's `metrics`; left out, it is the benchmark's `primary_metric`.
 * Returns the criterion with its metric filled in, or the problem (pointer relative to the criterion).
 */
export function resolvePassCriterion(
  criterion: PassCriterion,
  benchmark: Benchmark,
): { criterion: PassCriterion } | { pointer: string; message: string } {
  const known = benchmark.metrics.map((m) => `'${m}'`).join(', ') || 'none';
  const catalog = `See GET /api/v1/benchmarks?provider=${benchmark.provider_id} (field metrics).`;
  if (criterion.metric === undefined) {
    if (benchmark.primary_metric) return { criterion: { ...criterion, metric: benchmark.primary_metric } };
    return {
      pointer: '',
      message: `Benchmark '${benchmark.id}' declares no primary metric: name one in pass_criteria.metric (its metrics: ${known}). ${catalog}`,
    };
  }
  if (benchmark.metrics.includes(criterion.metric)) return { criterion };
  return {
    pointer: '/metric',
    message: `Benchmark '${benchmark.id}' does not produce a metric '${criterion.metric}': use one of ${known}. ${catalog}`,
  };
}
