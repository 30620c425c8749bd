import type { BenchmarkRun, Evaluation, EvaluationComparison } from './types.js';

/** Two standard errors apart (95 %, two-sided) is a significant difference. */
const Z = 1.96;
/** Without the engine's standard errors, a difference larger than this is significant. */
export const DEFAULT_TOLERANCE = 0.01;

function lowerIsBetter(metric: string, ...runs: (BenchmarkRun | undefined)[]): boolean {
  return runs.some((b) => b?.pass_criteria?.metric === metric && b.pass_criteria.op === '<=');
}

/**
 * Evaluation `a` against `b` (the baseline), metric by metric of the benchmarks both ran: the
 * delta `a − b` and whether it is significant — beyond 1.96 combined standard errors when the
 * engine reports `<metric>_stderr` in both (lm-eval does), else beyond `tolerance`. A significant
 * change for the worse (lower, or higher for a criterion with `<=`) is a regression.
 */
export function compareEvaluations(
  a: Evaluation,
  b: Evaluation,
  tolerance = DEFAULT_TOLERANCE,
): EvaluationComparison {
  const rows: EvaluationComparison['rows'] = [];
  for (const ba of a.benchmarks) {
    const bb = b.benchmarks.find((x) => x.benchmark_id === ba.benchmark_id);
    const ma = ba.results?.metrics ?? {};
    const mb = bb?.results?.metrics ?? {};
    for (const [metric, va] of Object.entries(ma)) {
      if (metric.endsWith('_stderr')) continue;
      const vb = mb[metric];
      if (typeof va !== 'number' || typeof vb !== 'number') continue;
      const delta = va - vb;
      const sa = ma[`${metric}_stderr`];
      const sb = mb[`${metric}_stderr`];
      const stderr =
        typeof sa === 'number' && typeof sb === 'number' ? Math.sqrt(sa * sa + sb * sb) : undefined;
      const significant = stderr !== undefined ? Math.abs(delta) > Z * stderr : Math.abs(delta) > tolerance;
      const worse = lowerIsBetter(metric, ba, bb) ? delta > 0 : delta < 0;
      rows.push({
        benchmark_id: ba.benchmark_id,
        metric,
        a: va,
        b: vb,
        delta,
        ...(stderr !== undefined ? { stderr } : {}),
        method: stderr !== undefined ? 'stderr' : 'tolerance',
        significant,
        regression: significant && worse,
      });
    }
  }
  return {
    evaluation_id: a.id,
    with: b.id,
    tolerance,
    rows,
    regressions: rows.filter((r) => r.regression).length,
  };
}

/** The comparison as a Markdown table (the `comparison.md` artifact of an evaluation with a baseline). */
export function comparisonMarkdown(c: EvaluationComparison): string {
  const n = (v: number): string => String(Number(v.toPrecision(6)));
  const cell = (t: string): string => t.replace(/\|/g, '\\|');
  const lines = [
    `# Evaluation \`${c.evaluation_id}\` (A) against its baseline \`${c.with}\` (B)`,
    '',
    `${c.regressions} regression${c.regressions === 1 ? '' : 's'}. A difference is significant beyond 1.96 combined standard errors where the engine reports \`<metric>_stderr\`, else beyond the tolerance ${n(c.tolerance)}.`,
    '',
    '| benchmark | metric | A | B | delta | significance |',
    '|---|---|---|---|---|---|',
    ...c.rows.map(
      (r) =>
        `| ${cell(r.benchmark_id)} | ${cell(r.metric)} | ${n(r.a)} | ${n(r.b)} | ${r.delta > 0 ? '+' : ''}${n(r.delta)} | ${
          r.regression ? '**regression**' : r.significant ? 'significant' : 'within noise'
        }${r.stderr !== undefined ? ` (±${n(Z * r.stderr)})` : ''} |`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}
