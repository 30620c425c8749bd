import type { Evaluation } from '@evalhub/core';
import { describe, expect, it } from 'vitest';
import { encodeExtension, EXTENSION_TAG, NAME_TAG } from './job-extension.js';
import { benchmarkTest, findMetric, toJobView } from './job-view.js';

function evaluation(patch: Partial<Evaluation> = {}): Evaluation {
  return {
    id: 'e1',
    status: 'completed',
    model: { server: 'vllm', name: 'granite', url: 'http://vllm:8000/v1', configuration: {} },
    experiment: {
      name: 'evals',
      tags: {
        team: 'a',
        [NAME_TAG]: 'smoke',
        [EXTENSION_TAG]: encodeExtension({
          description: 'd',
          tags: ['nightly'],
          pass_criteria: { threshold: 0.6 },
          benchmarks: [
            { weight: 3, primary_score: { metric: 'acc' }, pass_criteria: { threshold: 0.5 } },
            {
              weight: 1,
              primary_score: { metric: 'loss', lower_is_better: true },
              pass_criteria: { threshold: 0.3 },
            },
          ],
          notes: ["'queue' has no meaning here."],
        })!,
      },
    },
    benchmarks: [
      {
        benchmark_id: 'arc_easy',
        provider_id: 'lm_evaluation_harness',
        config: { num_fewshot: 0 },
        status: 'completed',
        progress: { fraction: 1 },
        results: { metrics: { 'acc,none': 0.8 } },
        artifacts: [{ name: 'results.json', size: 10 }],
        started_at: '2026-01-01T00:00:00.000Z',
        finished_at: '2026-01-01T00:01:00.000Z',
      },
      {
        benchmark_id: 'b2',
        provider_id: 'p',
        config: {},
        status: 'completed',
        progress: { fraction: 1 },
        results: { metrics: { loss: 0.2 } },
      },
    ],
    tracking: {
      tracker: 'mlflow',
      state: 'synced',
      experiment_id: '7',
      run_id: 'r1',
      links: { experiment: 'http://mlflow/#/experiments/7' },
    },
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:01:00.000Z',
    ...patch,
  };
}

describe('toJobView', () => {
  it('shows the evaluation as an eval-hub job with results, MLflow ids and tests', () => {
    const job = toJobView(evaluation());
    expect(job.resource).toMatchObject({
      id: 'e1',
      created_at: '2026-01-01T00:00:00.000Z',
      mlflow_experiment_id: '7',
    });
    expect(job.name).toBe('smoke');
    expect(job.description).toBe('d');
    expect(job.tags).toEqual(['nightly']);
    expect(job.model).toEqual({ url: 'http://vllm:8000/v1', name: 'granite' });
    expect(job.experiment).toEqual({ name: 'evals', tags: [{ key: 'team', value: 'a' }] });
    expect(job.benchmarks![0]).toMatchObject({ id: 'arc_easy', parameters: { num_fewshot: 0 }, weight: 3 });
    expect(job.status.state).toBe('completed');
    expect(job.status.message!.message).toContain("Not used by this hub: 'queue'");
    expect(job.status.benchmarks![0]).toMatchObject({
      benchmark_index: 0,
      status: 'completed',
      completed_at: '2026-01-01T00:01:00.000Z',
    });
    const r = job.results.benchmarks![0]!;
    expect(r).toMatchObject({
      metrics: { 'acc,none': 0.8 },
      mlflow_run_id: 'r1',
      artifacts: { 'results.json': { size: 10 } },
    });
    expect(r.test).toEqual({ primary_score: 0.8, primary_score_metric: 'acc', threshold: 0.5, pass: true });
    expect(job.results.benchmarks![1]!.test!.pass).toBe(true); // lower is better: 0.2 <= 0.3
    // (3 * 0.8 + 1 * (1 - 0.2)) / 4 = 0.8 >= 0.6
    expect(job.results.test!.score).toBeCloseTo(0.8);
    expect(job.results.test!.pass).toBe(true);
    expect(job.results.mlflow_experiment_url).toBe('http://mlflow/#/experiments/7');
  });

  it('shows evaluations of our own API too, and failures with their reason', () => {
    const e = evaluation({
      status: 'failed',
      experiment: { name: 'mine', tags: {} },
      error: { code: 'evaluation_failed', message: 'arc_easy: boom' },
    });
    e.benchmarks[0]!.status = 'failed';
    e.benchmarks[0]!.error = { code: 'engine_failed', message: 'boom' };
    const job = toJobView(e);
    expect(job.name).toBe('mine');
    expect(job.status.message).toMatchObject({
      message_code: 'evaluation_job_failed',
      message_origin: 'server',
    });
    expect(job.status.message!.message).toContain('boom');
    expect(job.status.benchmarks![0]!.error_message).toEqual({
      message: 'boom',
      message_code: 'engine_failed',
    });
    expect(job.results.test).toBeUndefined();
  });

  it('finds metrics by the names eval-hub users write', () => {
    expect(findMetric({ 'acc,none': 0.5 }, 'acc')).toBe(0.5);
    expect(findMetric({ 'acc,none': 0.5 }, 'acc_none')).toBe(0.5);
    expect(findMetric({ acc: 'NaN' }, 'acc')).toBeUndefined();
    const b = evaluation().benchmarks[0]!;
    expect(benchmarkTest(b, { primary_score: { metric: 'acc' } })).toBeUndefined(); // no threshold, no test
  });
});
