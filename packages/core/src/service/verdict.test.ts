import { describe, expect, it } from 'vitest';
import type { BenchmarkRun, Evaluation } from '../types.js';
import { applyVerdict, benchmarkVerdict, weightedScore } from './verdict.js';

const run = (id: string, over: Partial<BenchmarkRun> = {}): BenchmarkRun => ({
  benchmark_id: id,
  provider_id: 'p',
  config: {},
  status: 'completed',
  progress: { fraction: 1 },
  results: { metrics: { acc: 0.8, loss: 2 }, primary_metric: 'acc' },
  ...over,
});

const evaluation = (benchmarks: BenchmarkRun[], over: Partial<Evaluation> = {}): Evaluation => ({
  id: 'e',
  status: 'completed',
  model: { server: 's', name: 'm', url: 'http://x/v1', configuration: {} },
  benchmarks,
  tracking: { tracker: 'none', state: 'disabled' },
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
  ...over,
});

describe('benchmarkVerdict', () => {
  it('passes when the metric meets the threshold, with the comparison as the reason', () => {
    expect(benchmarkVerdict(run('a', { pass_criteria: { metric: 'acc', op: '>=', value: 0.7 } }))).toEqual({
      passed: true,
      verdict_reason: 'acc = 0.8 >= 0.7',
    });
    expect(benchmarkVerdict(run('a', { pass_criteria: { metric: 'loss', op: '<=', value: 1.5 } }))).toEqual({
      passed: false,
      verdict_reason: 'loss = 2 > 1.5 (needs loss <= 1.5)',
    });
  });

  it('never passes a failed benchmark, and says why', () => {
    const v = benchmarkVerdict(
      run('a', {
        status: 'failed',
        error: { code: 'x', message: 'timeout' },
        pass_criteria: { metric: 'acc', op: '>=', value: 0 },
      }),
    );
    expect(v).toEqual({ passed: false, verdict_reason: 'failed: timeout' });
  });

  it('does not pass a completed benchmark whose results lack the metric or hold NaN', () => {
    const missing = run('a', { pass_criteria: { metric: 'f1', op: '>=', value: 0 } });
    expect(benchmarkVerdict(missing).passed).toBe(false);
    expect(benchmarkVerdict(missing).verdict_reason).toMatch(/f1 is not in the results/);
    const nan = run('a', {
      results: { metrics: { acc: 'NaN' } },
      pass_criteria: { metric: 'acc', op: '>=', value: 0 },
    });
    expect(benchmarkVerdict(nan).verdict_reason).toMatch(/acc is NaN/);
  });
});

describe('weightedScore', () => {
  it('is the weighted mean of the primary scores, default weight 1, weight 0 left out', () => {
    const a = run('a', { results: { metrics: { acc: 0.9 }, primary_metric: 'acc' }, weight: 3 });
    const b = run('b', { results: { metrics: { acc: 0.5 }, primary_metric: 'acc' } });
    const c = run('c', { status: 'failed', results: undefined, weight: 0 });
    expect(weightedScore([a, b, c])).toBeCloseTo(0.8);
  });

  it("uses the criterion's metric over the primary metric", () => {
    const a = run('a', { pass_criteria: { metric: 'loss', op: '<=', value: 3 } });
    expect(weightedScore([a])).toBe(2);
  });

  it('is undefined when a weighted benchmark has no score', () => {
    expect(weightedScore([run('a'), run('b', { status: 'failed', results: undefined })])).toBeUndefined();
    expect(weightedScore([run('a', { weight: 0 })])).toBeUndefined();
  });
});

describe('applyVerdict', () => {
  it('adds only the score when there are no criteria (the spec payloads)', () => {
    const e = evaluation([run('a')]);
    applyVerdict(e);
    expect(e.score).toBe(0.8);
    expect(e).not.toHaveProperty('passed');
    expect(e.benchmarks[0]).not.toHaveProperty('passed');
  });

  it('passes when every benchmark passes and the weighted score reaches pass_threshold', () => {
    const e = evaluation(
      [
        run('a', { results: { metrics: { acc: 0.9 }, primary_metric: 'acc' }, weight: 3 }),
        run('b', { results: { metrics: { acc: 0.5 }, primary_metric: 'acc' } }),
      ],
      { pass_threshold: 0.75 },
    );
    applyVerdict(e);
    expect(e.score).toBeCloseTo(0.8);
    expect(e.passed).toBe(true);
    expect(e.verdict_reason).toBe('PASSED: 2 of 2 benchmarks passed; score 0.8 >= pass_threshold 0.75');
    expect(e.benchmarks.map((b) => b.passed)).toEqual([true, true]);
    expect(e.benchmarks[1]!.verdict_reason).toBe('completed (no pass criteria)');
  });

  it('does not pass when the weights pull the score under the threshold', () => {
    const e = evaluation(
      [
        run('a', { results: { metrics: { acc: 0.9 }, primary_metric: 'acc' } }),
        run('b', { results: { metrics: { acc: 0.5 }, primary_metric: 'acc' }, weight: 3 }),
      ],
      { pass_threshold: 0.75 },
    );
    applyVerdict(e);
    expect(e.score).toBeCloseTo(0.6);
    expect(e.passed).toBe(false);
    expect(e.verdict_reason).toBe('NOT PASSED: 2 of 2 benchmarks passed; score 0.6 < pass_threshold 0.75');
  });

  it('does not pass when one benchmark misses its criterion or failed, naming it', () => {
    const e = evaluation([
      run('a', { pass_criteria: { metric: 'acc', op: '>=', value: 0.9 } }),
      run('b', { status: 'failed', results: undefined, error: { code: 'x', message: 'boom' } }),
    ]);
    applyVerdict(e);
    expect(e.passed).toBe(false);
    expect(e).not.toHaveProperty('score');
    expect(e.verdict_reason).toBe(
      'NOT PASSED: 0 of 2 benchmarks passed — a: acc = 0.8 < 0.9 (needs acc >= 0.9); b: failed: boom',
    );
  });

  it('does not pass a threshold without a score to compare', () => {
    const e = evaluation([run('a', { status: 'cancelled', results: undefined })], { pass_threshold: 0 });
    applyVerdict(e);
    expect(e.passed).toBe(false);
    expect(e.verdict_reason).toMatch(/no score to compare with pass_threshold 0/);
  });
});
