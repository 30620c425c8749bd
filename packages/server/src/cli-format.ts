import type { Evaluation, EvaluationComparison, EvaluationStatus } from '@evalhub/core';

/** Plain-text table with aligned columns (no colours, so it stays readable in CI logs). */
export function table(headers: string[], rows: (string | number | undefined)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === undefined ? '' : String(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(cells[0]!), line(widths.map((w) => '-'.repeat(w))), ...cells.slice(1).map(line)].join('\n');
}

export function formatMetric(value: number | string | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  if (Number.isInteger(value)) return String(value);
  return value.toFixed(4).replace(/0+$/, '').replace(/\.$/, '');
}

/** The model gateway's columns of a benchmark: requests/s, p99 latency, answers from the cache. */
function perfCells(b: Evaluation['benchmarks'][number]): string[] {
  const p = b.perf;
  if (!p) return ['', '', ''];
  const cached = `${p.cache_hits ?? 0}/${p.requests ?? 0}${b.cache ? ` (${b.cache})` : ''}`;
  return [formatMetric(p.requests_per_second), formatMetric(p.latency_p99_ms), cached];
}

/**
 * Final scores: one row per benchmark with its primary metric and the others; with the model
 * gateway's performance data (requests/s, p99 latency in ms, cache hits of requests) when it has any.
 */
export function scoresTable(e: Evaluation): string {
  const perf = e.benchmarks.some((b) => b.perf);
  return table(
    ['benchmark', 'provider', 'status', 'score', ...(perf ? ['req/s', 'p99 ms', 'cached'] : []), 'metrics'],
    e.benchmarks.map((b) => {
      const metrics = b.results?.metrics ?? {};
      const primary = b.results?.primary_metric;
      const others = Object.entries(metrics)
        .filter(([k]) => k !== primary)
        .map(([k, v]) => `${k}=${formatMetric(v)}`)
        .join(' ');
      return [
        b.benchmark_id,
        b.provider_id,
        b.status,
        primary !== undefined && metrics[primary] !== undefined
          ? `${primary}=${formatMetric(metrics[primary])}`
          : '',
        ...(perf ? perfCells(b) : []),
        b.error ? `${others}${others ? ' ' : ''}error: ${b.error.message}` : others,
      ];
    }),
  );
}

/** The CLI's exit code for a finished evaluation: 0 only when every benchmark completed. */
export function exitCodeFor(status: EvaluationStatus): number {
  return status === 'completed' ? 0 : 1;
}

export function progressBar(fraction: number, width = 20): string {
  const f = Math.max(0, Math.min(1, fraction));
  const full = Math.round(f * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${String(Math.round(f * 100)).padStart(3)}%`;
}

/** A human summary of one evaluation (for `evalhub get`). */
export function describeEvaluation(e: Evaluation): string {
  const lines = [
    `Evaluation ${e.id}`,
    `  status:     ${e.status}`,
    `  model:      ${e.model.name} (${e.model.server}, ${e.model.url})`,
    ...(e.experiment
      ? [
          `  experiment: ${e.experiment.name}${Object.keys(e.experiment.tags ?? {}).length ? ` ${JSON.stringify(e.experiment.tags)}` : ''}`,
        ]
      : []),
    ...(e.collection_id ? [`  collection: ${e.collection_id}`] : []),
    `  created:    ${e.created_at}${e.finished_at ? `  finished: ${e.finished_at}` : ''}`,
    `  tracking:   ${e.tracking.tracker} (${e.tracking.state})${e.tracking.links?.run ? ` ${e.tracking.links.run}` : ''}`,
    ...(e.error ? [`  error:      ${e.error.message}`] : []),
    '',
    scoresTable(e),
  ];
  return lines.join('\n');
}

/** `evalhub compare A B`: one row per metric both ran, with the delta and its significance. */
export function comparisonTable(c: EvaluationComparison): string {
  const signed = (v: number): string => `${v > 0 ? '+' : ''}${formatMetric(v)}`;
  return table(
    ['benchmark', 'metric', 'A', 'B', 'delta', 'significance'],
    c.rows.map((r) => [
      r.benchmark_id,
      r.metric,
      formatMetric(r.a),
      formatMetric(r.b),
      signed(r.delta),
      `${r.regression ? 'REGRESSION' : r.significant ? 'significant' : 'within noise'} (${
        r.method === 'stderr'
          ? `±${formatMetric(1.96 * r.stderr!)} from stderr`
          : `tolerance ${formatMetric(c.tolerance)}`
      })`,
    ]),
  );
}
