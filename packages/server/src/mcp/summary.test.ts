import type { Evaluation } from '@evalhub/core';
import { sampleBenchmark } from '@evalhub/core/testing';
import { describe, expect, it } from 'vitest';
import { compare, summarize } from './summary.js';

const evaluation = (id: string, metrics: Record<string, number>): Evaluation => ({
  id,
  status: 'completed',
  model: { server: 'vllm', name: 'm', url: 'http://h/v1', configuration: {} },
  experiment: { name: 'x', tags: {} },
  benchmarks: [
    sampleBenchmark({
      benchmark_id: 'arc_easy',
      provider_id: 'lm_evaluation_harness',
      config: {},
      results: { metrics },
    }),
  ],
  tracking: { tracker: 'mlflow', state: 'synced', run_id: 'r', links: { run: 'http://mlflow/#/r' } },
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
});

describe('MCP summaries', () => {
  it('summarises scores and MLflow links', () => {
    const s = summarize(evaluation('a', { acc: 0.5 }));
    expect(s.scores).toEqual({ 'arc_easy.acc': 0.5 });
    expect(s.mlflow).toEqual({ tracking: 'synced', run_id: 'r', run_url: 'http://mlflow/#/r' });
  });

  it('compares two evaluations metric by metric', () => {
    const c = compare(evaluation('a', { acc: 0.5, f1: 0.1 }), evaluation('b', { acc: 0.75 }));
    expect(c.metrics).toEqual([
      { metric: 'arc_easy.acc', a: 0.5, b: 0.75, delta: 0.25 },
      { metric: 'arc_easy.f1', a: 0.1 },
    ]);
  });
});
