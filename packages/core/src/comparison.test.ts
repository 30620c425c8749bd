import { describe, expect, it } from 'vitest';
import { compareEvaluations, comparisonMarkdown } from './comparison.js';
import { sampleBenchmark } from './testing/conformance.js';
import type { Evaluation } from './types.js';

const evaluation = (
  id: string,
  metrics: Record<string, number>,
  extra: Partial<Evaluation['benchmarks'][0]> = {},
): Evaluation => ({
  id,
  status: 'completed',
  model: { server: 's', name: 'm', url: 'http://x/v1', configuration: {} },
  benchmarks: [
    sampleBenchmark({
      benchmark_id: 'arc_easy',
      provider_id: 'lm_evaluation_harness',
      config: {},
      results: { metrics, primary_metric: 'acc' },
      ...extra,
    }),
  ],
  tracking: { tracker: 'none', state: 'disabled' },
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
});

// lm-eval's arc_easy reports acc with acc_stderr ≈ 0.0085 on its 2376 questions.
const baseline = evaluation('base', {
  acc: 0.7803,
  acc_stderr: 0.0085,
  acc_norm: 0.7525,
  acc_norm_stderr: 0.0089,
});

describe('compareEvaluations', () => {
  it("detects a regression beyond lm-eval's own standard errors", () => {
    const c = compareEvaluations(
      evaluation('cand', { acc: 0.74, acc_stderr: 0.009, acc_norm: 0.75, acc_norm_stderr: 0.0089 }),
      baseline,
    );
    const acc = c.rows.find((r) => r.metric === 'acc')!;
    expect(acc.method).toBe('stderr');
    expect(acc.stderr).toBeCloseTo(Math.sqrt(0.0085 ** 2 + 0.009 ** 2), 12);
    expect(acc.delta).toBeCloseTo(-0.0403, 12);
    expect(acc).toMatchObject({ significant: true, regression: true });
    expect(c.rows.map((r) => r.metric)).toEqual(['acc', 'acc_norm']);
    expect(c.regressions).toBe(1);
  });

  it('does not call a drop within the standard errors a regression, though it exceeds the tolerance', () => {
    const c = compareEvaluations(evaluation('cand', { acc: 0.765, acc_stderr: 0.0086 }), baseline);
    expect(c.rows).toHaveLength(1);
    expect(c.rows[0]).toMatchObject({
      metric: 'acc',
      method: 'stderr',
      significant: false,
      regression: false,
    });
    expect(Math.abs(c.rows[0]!.delta)).toBeGreaterThan(c.tolerance);
  });

  it('uses the tolerance without standard errors; an improvement is significant but no regression', () => {
    const base = evaluation('base', { faithfulness: 0.8 });
    expect(compareEvaluations(evaluation('a', { faithfulness: 0.795 }), base).rows[0]).toMatchObject({
      method: 'tolerance',
      significant: false,
    });
    expect(compareEvaluations(evaluation('a', { faithfulness: 0.7 }), base).rows[0]!.regression).toBe(true);
    expect(compareEvaluations(evaluation('a', { faithfulness: 0.9 }), base).rows[0]).toMatchObject({
      significant: true,
      regression: false,
    });
    expect(compareEvaluations(evaluation('a', { faithfulness: 0.7 }), base, 0.2).rows[0]!.significant).toBe(
      false,
    );
  });

  it("treats a higher value as worse for a metric whose criterion is '<='", () => {
    const lower = { pass_criteria: { metric: 'perplexity', op: '<=' as const, value: 10 } };
    const c = compareEvaluations(
      evaluation('a', { perplexity: 9 }, lower),
      evaluation('b', { perplexity: 8 }, lower),
    );
    expect(c.rows[0]).toMatchObject({ delta: 1, regression: true });
  });

  it('renders as a Markdown table (the comparison.md artifact)', () => {
    const md = comparisonMarkdown(
      compareEvaluations(evaluation('cand', { acc: 0.74, acc_stderr: 0.009 }), baseline),
    );
    expect(md).toContain('| benchmark | metric | A | B | delta | significance |');
    expect(md).toContain('| arc_easy | acc | 0.74 | 0.7803 | -0.0403 | **regression** (±0.0242637) |');
    expect(md).toMatch(/^# Evaluation `cand` \(A\) against its baseline `base` \(B\)/);
  });
});
