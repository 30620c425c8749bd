import type { Evaluation } from '@evalhub/core';
import { sampleBenchmark } from '@evalhub/core/testing';
import { describe, expect, it } from 'vitest';
import {
  describeEvaluation,
  exitCodeFor,
  formatMetric,
  progressBar,
  scoresTable,
  table,
} from './cli-format.js';

const evaluation: Evaluation = {
  id: 'e1',
  status: 'partially_failed',
  model: { server: 'vllm', name: 'm', url: 'http://vllm:8000/v1', configuration: {} },
  experiment: { name: 'exp', tags: { team: 'a' } },
  benchmarks: [
    sampleBenchmark({
      benchmark_id: 'arc_easy',
      provider_id: 'lm_evaluation_harness',
      config: {},
      results: { metrics: { acc: 0.71234, acc_norm: 0.7 }, primary_metric: 'acc' },
    }),
    {
      benchmark_id: 'faithfulness',
      provider_id: 'ragas',
      config: {},
      status: 'failed',
      progress: { fraction: 0 },
      error: { code: 'x', message: 'dataset missing' },
    },
  ],
  tracking: { tracker: 'mlflow', state: 'synced', links: { run: 'http://mlflow/#/experiments/1/runs/abc' } },
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
};

describe('cli formatting', () => {
  it('aligns table columns', () => {
    expect(
      table(
        ['a', 'bb'],
        [
          ['long', 1],
          ['x', undefined],
        ],
      ),
    ).toBe('a     bb\n----  --\nlong  1\nx');
  });

  it('shows the primary metric, the other metrics and errors per benchmark', () => {
    const out = scoresTable(evaluation).split('\n');
    expect(out[2]).toMatch(/^arc_easy\s+lm_evaluation_harness\s+completed\s+acc=0\.7123\s+acc_norm=0\.7$/);
    expect(out[3]).toMatch(/faithfulness\s+ragas\s+failed\s+error: dataset missing$/);
  });

  it("shows the model gateway's requests/s, p99 latency and cache hits when a benchmark has them", () => {
    const cached: Evaluation = {
      ...evaluation,
      benchmarks: [
        {
          ...evaluation.benchmarks[0]!,
          perf: { requests: 40, cache_hits: 40, requests_per_second: 512.25, latency_p99_ms: 1.5 },
          cache: 'hit',
        },
        evaluation.benchmarks[1]!,
      ],
    };
    const out = scoresTable(cached).split('\n');
    expect(out[0]).toMatch(/score\s+req\/s\s+p99 ms\s+cached\s+metrics$/);
    expect(out[2]).toMatch(/acc=0\.7123\s+512\.25\s+1\.5\s+40\/40 \(hit\)\s+acc_norm=0\.7$/);
    expect(out[3]).toMatch(/faithfulness\s+ragas\s+failed\s+error: dataset missing$/);
  });

  it('formats metrics compactly', () => {
    expect(formatMetric(1)).toBe('1');
    expect(formatMetric(0.5)).toBe('0.5');
    expect(formatMetric('NaN')).toBe('NaN');
  });

  it('gives exit code 0 only for completed evaluations', () => {
    expect(exitCodeFor('completed')).toBe(0);
    for (const s of ['failed', 'partially_failed', 'cancelled'] as const) expect(exitCodeFor(s)).toBe(1);
  });

  it('draws a progress bar', () => {
    expect(progressBar(0.5, 10)).toBe('[#####.....]  50%');
    expect(progressBar(2, 4)).toBe('[####] 100%');
  });

  it('describes an evaluation with its MLflow run link', () => {
    const text = describeEvaluation(evaluation);
    expect(text).toContain('status:     partially_failed');
    expect(text).toContain('http://mlflow/#/experiments/1/runs/abc');
    expect(text).toContain('experiment: exp {"team":"a"}');
  });
});
