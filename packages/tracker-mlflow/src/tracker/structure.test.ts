import type { Evaluation } from '@evalhub/core';
import { describe, expect, it } from 'vitest';
import {
  experimentName,
  experimentTags,
  finishTags,
  runDescription,
  runName,
  runStatusFor,
  runTags,
} from './structure.js';

const now = '2025-01-01T00:00:00.000Z';
function evaluation(over: Partial<Evaluation> = {}): Evaluation {
  return {
    id: '1a2b3c4d-0000-4000-8000-000000000000',
    status: 'running',
    model: {
      server: 'vllm',
      name: 'meta-llama/llama-3.1-8b',
      url: 'http://user:pw@gpu-1:8000/v1?k=1',
      configuration: { temperature: 0.1, max_tokens: 512, api_key: 'sk-x' },
    },
    experiment: { name: 'arc-easy-evaluation', tags: { environment: 'testing' } },
    benchmarks: [
      {
        benchmark_id: 'arc_easy',
        provider_id: 'lm_evaluation_harness',
        config: {},
        status: 'pending',
        progress: { fraction: 0 },
      },
    ],
    tracking: { tracker: 'mlflow', state: 'pending' },
    created_at: now,
    updated_at: now,
    ...over,
  };
}

describe('MLflow structure', () => {
  it('names experiments {prefix}_{name}, or after the model', () => {
    expect(experimentName('eval-hub', evaluation())).toBe('eval-hub_arc-easy-evaluation');
    const { experiment: _, ...rest } = evaluation();
    expect(experimentName('eval-hub', rest as Evaluation)).toBe('eval-hub_meta-llama-llama-3.1-8b');
    expect(experimentName('', evaluation())).toBe('arc-easy-evaluation');
  });

  it('experiment tags are the request tags plus description and kind', () => {
    const tags = Object.fromEntries(experimentTags(evaluation()).map((t) => [t.key, t.value]));
    expect(tags.environment).toBe('testing');
    expect(tags['mlflow.experimentKind']).toBe('custom_model_development');
    expect(tags['mlflow.note.content']).toContain('arc_easy');
  });

  it('run name and tags: readable, with model and benchmark details, no secrets or URL credentials', () => {
    const e = evaluation();
    expect(runName(e)).toBe('llama-3.1-8b-1a2b3c4d');
    const tags = Object.fromEntries(runTags(e, '0.1.0').map((t) => [t.key, t.value]));
    expect(tags['evalhub.model.url_host']).toBe('gpu-1:8000');
    expect(tags['evalhub.model.config.max_tokens']).toBe('512');
    expect(tags['evalhub.model.config.api_key']).toBeUndefined();
    expect(JSON.stringify(tags)).not.toContain('sk-x');
    expect(JSON.stringify(tags)).not.toContain('pw@');
    expect(tags.environment).toBe('testing');
  });

  it('statuses and the failure description', () => {
    expect(runStatusFor('completed')).toBe('FINISHED');
    expect(runStatusFor('partially_failed')).toBe('FAILED');
    expect(runStatusFor('failed')).toBe('FAILED');
    expect(runStatusFor('cancelled')).toBe('KILLED');
    expect(runStatusFor('running')).toBeUndefined();
    const e = evaluation({
      status: 'partially_failed',
      benchmarks: [
        {
          benchmark_id: 'a',
          provider_id: 'p',
          config: {},
          status: 'completed',
          progress: { fraction: 1 },
          results: { metrics: { acc: 0.5 }, primary_metric: 'acc' },
        },
        {
          benchmark_id: 'b',
          provider_id: 'p',
          config: {},
          status: 'failed',
          progress: { fraction: 1 },
          error: { code: 'benchmark_failed', message: 'boom | pipe' },
        },
      ],
    });
    const d = runDescription(e);
    expect(d).toContain('PARTIALLY FAILED');
    expect(d).toContain('acc = 0.5');
    expect(d).toContain('`b` (p): boom | pipe [benchmark_failed]');
    expect(finishTags(e)['evalhub.partial_failure']).toBe('true');
    expect(finishTags(e)['evalhub.failed_benchmarks']).toBe('b');
  });

  it('names rows that scored NaN in the description when there are any', () => {
    const e = evaluation({
      status: 'completed',
      benchmarks: [
        {
          benchmark_id: 'faithfulness',
          provider_id: 'ragas',
          config: {},
          status: 'completed',
          progress: { fraction: 1 },
          results: {
            metrics: { faithfulness: 0.7, faithfulness_nan_count: 2 },
            primary_metric: 'faithfulness',
          },
        },
      ],
    });
    expect(runDescription(e)).toContain('`faithfulness`: 2 row(s) for `faithfulness`');
    e.benchmarks[0]!.results!.metrics.faithfulness_nan_count = 0;
    expect(runDescription(e)).not.toContain('NaN');
  });
  it('the verdict: evalhub.passed and per benchmark evalhub.benchmark.<id>.passed, the reason atop the description', () => {
    const e = evaluation({
      status: 'completed',
      passed: false,
      verdict_reason: 'NOT PASSED: 0 of 1 benchmarks passed — arc_easy: acc = 0.5 < 0.7 (needs acc >= 0.7)',
    });
    e.benchmarks[0]!.status = 'completed';
    e.benchmarks[0]!.passed = false;
    const t = finishTags(e);
    expect(t['evalhub.passed']).toBe('false');
    expect(t['evalhub.benchmark.arc_easy.passed']).toBe('false');
    expect(runDescription(e).split('\n')[0]).toBe(`**${e.verdict_reason}**`);
  });

  it('no verdict tags and the usual headline without pass criteria', () => {
    const e = evaluation({ status: 'completed' });
    expect(Object.keys(finishTags(e)).filter((k) => k.endsWith('passed'))).toEqual([]);
    expect(runDescription(e)).toMatch(/^Eval Hub evaluation `/);
  });
});
