import { compareEvaluations, DEFAULT_TOLERANCE } from '../comparison.js';
import type { BenchmarkRun, Evaluation, PassCriterion } from '../types.js';

/**
 * The verdict of a finished evaluation (docs/gating.md): the score is the weighted mean of the
 * benchmarks' primary scores; a benchmark passes when it completed and meets its `pass_criteria`;
 * the evaluation passes when every benchmark passes and the score reaches `pass_threshold`.
 * Pure functions of the evaluation document, so the HTTP answer, the tracker and the CLI agree.
 */

/** The value a benchmark contributes to the score: its criterion's metric, else its primary metric. */
export function primaryScore(b: BenchmarkRun): { metric: string; value: number } | undefined {
  const metric = b.pass_criteria?.metric ?? b.results?.primary_metric;
  const value = metric === undefined ? undefined : b.results?.metrics[metric];
  return metric !== undefined && typeof value === 'number' ? { metric, value } : undefined;
}

/**
 * The weighted mean of the primary scores of the benchmarks of weight > 0 (default 1), or undefined
 * when one of them has none (failed, cancelled, no primary metric) or every weight is 0.
 */
export function weightedScore(benchmarks: readonly BenchmarkRun[]): number | undefined {
  let sum = 0;
  let weights = 0;
  for (const b of benchmarks) {
    const weight = b.weight ?? 1;
    if (weight === 0) continue;
    const p = primaryScore(b);
    if (!p) return undefined;
    sum += weight * p.value;
    weights += weight;
  }
  return weights > 0 ? sum / weights : undefined;
}

/** Whether an evaluation asks for a verdict at all (without criteria it has a status only). */
export function hasCriteria(e: Pick<Evaluation, 'benchmarks' | 'pass_threshold' | 'baseline'>): boolean {
  return (
    e.pass_threshold !== undefined ||
    e.baseline?.fail_on_regression === true ||
    e.benchmarks.some((b) => b.pass_criteria !== undefined)
  );
}

const FAILING_OP: Record<PassCriterion['op'], string> = { '>=': '<', '<=': '>' };

function num(v: number): string {
  return String(Number(v.toPrecision(6)));
}

/** One benchmark's verdict with the reason in a few words. */
export function benchmarkVerdict(b: BenchmarkRun): { passed: boolean; verdict_reason: string } {
  if (b.status === 'failed')
    return { passed: false, verdict_reason: `failed: ${b.error?.message ?? 'no result'}` };
  if (b.status !== 'completed')
    return { passed: false, verdict_reason: `${b.status}: the benchmark did not finish` };
  const c = b.pass_criteria;
  if (!c) return { passed: true, verdict_reason: 'completed (no pass criteria)' };
  const metric = c.metric ?? b.results?.primary_metric;
  const value = metric === undefined ? undefined : b.results?.metrics[metric];
  const wanted = `${metric ?? 'the primary metric'} ${c.op} ${num(c.value)}`;
  if (typeof value !== 'number') {
    const what = value === undefined ? 'is not in the results' : `is ${value}`;
    return { passed: false, verdict_reason: `${metric ?? 'the primary metric'} ${what} (needs ${wanted})` };
  }
  const passed = c.op === '>=' ? value >= c.value : value <= c.value;
  return {
    passed,
    verdict_reason: passed
      ? `${metric} = ${num(value)} ${c.op} ${num(c.value)}`
      : `${metric} = ${num(value)} ${FAILING_OP[c.op]} ${num(c.value)} (needs ${wanted})`,
  };
}

/**
 * Sets `score` (when computable) on a finished evaluation and, when it has pass criteria or a pass
 * threshold, `passed` and `verdict_reason` on it and on each benchmark. Without criteria nothing
 * but the score is added. With a `baseline` (the earlier evaluation, when it still exists) the
 * comparison is stored as `baseline_comparison`; with `fail_on_regression` a regression fails it.
 */
export function applyVerdict(e: Evaluation, baseline?: Evaluation): void {
  const score = weightedScore(e.benchmarks);
  if (score !== undefined) e.score = score;
  if (e.baseline && baseline)
    e.baseline_comparison = compareEvaluations(e, baseline, e.baseline.tolerance ?? DEFAULT_TOLERANCE);
  if (!hasCriteria(e)) return;
  const failing: string[] = [];
  for (const b of e.benchmarks) {
    const v = benchmarkVerdict(b);
    b.passed = v.passed;
    b.verdict_reason = v.verdict_reason;
    if (!v.passed) failing.push(`${b.benchmark_id}: ${v.verdict_reason}`);
  }
  const parts = [`${e.benchmarks.length - failing.length} of ${e.benchmarks.length} benchmarks passed`];
  let scoreOk = true;
  if (e.pass_threshold !== undefined) {
    if (score === undefined) {
      scoreOk = false;
      parts.push(
        `no score to compare with pass_threshold ${num(e.pass_threshold)} (a benchmark of weight > 0 has no numeric primary score)`,
      );
    } else {
      scoreOk = score >= e.pass_threshold;
      parts.push(`score ${num(score)} ${scoreOk ? '>=' : '<'} pass_threshold ${num(e.pass_threshold)}`);
    }
  } else if (score !== undefined) parts.push(`score ${num(score)}`);
  let baselineOk = true;
  if (e.baseline?.fail_on_regression) {
    const c = e.baseline_comparison;
    baselineOk = c !== undefined && c.regressions === 0;
    if (!c) parts.push(`baseline ${e.baseline.evaluation_id} no longer exists`);
    else if (c.regressions === 0) parts.push(`no regression against ${c.with}`);
    else {
      const worst = c.rows
        .filter((r) => r.regression)
        .slice(0, 5)
        .map((r) => `${r.benchmark_id}.${r.metric} ${num(r.delta)}`);
      parts.push(
        `${c.regressions} regression${c.regressions === 1 ? '' : 's'} against ${c.with} (${worst.join(', ')})`,
      );
    }
  }
  e.passed = failing.length === 0 && scoreOk && baselineOk;
  e.verdict_reason =
    `${e.passed ? 'PASSED' : 'NOT PASSED'}: ${parts.join('; ')}` +
    (failing.length ? ` — ${failing.slice(0, 10).join('; ')}${failing.length > 10 ? '; …' : ''}` : '');
}
