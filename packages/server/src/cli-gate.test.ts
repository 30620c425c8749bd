import type { Evaluation } from '@evalhub/core';
import { describe, expect, it } from 'vitest';
import { gateExitCode, junitReport, verdictLine, xmlEscape } from './cli-gate.js';

const evaluation = (over: Partial<Evaluation> = {}): Evaluation => ({
  id: 'e1',
  status: 'completed',
  model: { server: 's', name: 'm', url: 'http://x/v1', configuration: {} },
  benchmarks: [
    {
      benchmark_id: 'a<b',
      provider_id: 'p',
      config: {},
      status: 'completed',
      progress: { fraction: 1 },
      results: { metrics: { acc: 0.5 }, primary_metric: 'acc', duration_seconds: 1.5 },
    },
  ],
  tracking: { tracker: 'none', state: 'disabled' },
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:10Z',
  started_at: '2026-01-01T00:00:00Z',
  finished_at: '2026-01-01T00:00:10Z',
  ...over,
});

describe('the CLI gate', () => {
  it('exits 0 on passed, 1 on not passed; without criteria 0 only when completed', () => {
    expect(gateExitCode(evaluation({ passed: true }))).toBe(0);
    expect(gateExitCode(evaluation({ passed: false }))).toBe(1);
    expect(gateExitCode(evaluation())).toBe(0);
    expect(gateExitCode(evaluation({ status: 'partially_failed' }))).toBe(1);
    expect(gateExitCode(evaluation({ status: 'cancelled' }))).toBe(1);
  });

  it('prints the verdict, or the score when there are no criteria', () => {
    expect(verdictLine(evaluation({ passed: true, verdict_reason: 'PASSED: x' }))).toBe('Verdict: PASSED: x');
    expect(verdictLine(evaluation({ score: 0.51234 }))).toBe('Score: 0.5123 (no pass criteria)');
    expect(verdictLine(evaluation())).toBeUndefined();
  });

  it('escapes markup and drops characters XML cannot carry', () => {
    expect(xmlEscape(`a<b>&"c'\u0000\u001b\ud800`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;');
    const xml = junitReport(
      evaluation({
        passed: false,
        verdict_reason: 'NOT PASSED',
        benchmarks: [
          { ...evaluation().benchmarks[0]!, passed: false, verdict_reason: 'acc = 0.5 < 0.7 \u001b[31m' },
        ],
      }),
    );
    expect(xml).toContain('<testcase classname="p" name="a&lt;b" time="1.500">');
    expect(xml).toContain('<failure type="criteria_not_met" message="acc = 0.5 &lt; 0.7 [31m">');
    expect(xml).toContain('time="10.000"');
  });
});
