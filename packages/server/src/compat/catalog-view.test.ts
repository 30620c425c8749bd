import type { Collection, Provider } from '@evalhub/core';
import { describe, expect, it } from 'vitest';
import { patchedRequest, toCollectionInput, toCollectionView, toProviderView } from './catalog-view.js';

describe('catalog views', () => {
  it('shows a provider in eval-hub shape with benchmark categories', () => {
    const p: Provider = {
      id: 'lm_evaluation_harness',
      name: 'LM Evaluation Harness',
      benchmarks: [
        {
          id: 'arc_easy',
          provider_id: 'lm_evaluation_harness',
          name: 'ARC',
          category: 'reasoning',
          metrics: ['acc'],
          primary_metric: 'acc',
        },
      ],
    };
    const v = toProviderView(p);
    expect(v.resource.id).toBe('lm_evaluation_harness');
    expect(v.title).toBe('LM Evaluation Harness');
    expect(v.benchmarks[0]).toMatchObject({
      id: 'arc_easy',
      category: 'reasoning',
      primary_score: { metric: 'acc', lower_is_better: false },
    });
  });

  it('round-trips a collection with category, weights and pass criteria', () => {
    const input = toCollectionInput('id-1', {
      name: 'Safety',
      category: 'safety',
      tags: ['t'],
      pass_criteria: { threshold: 0.75 },
      benchmarks: [
        { id: 'a', provider_id: 'p', weight: 3, parameters: { k: 1 }, primary_score: { metric: 'acc' } },
        { id: 'b', provider_id: 'p' },
      ],
    });
    expect(input.benchmarks).toEqual([
      { benchmark_id: 'a', provider_id: 'p', config: { k: 1 } },
      { benchmark_id: 'b', provider_id: 'p', config: {} },
    ]);
    const stored: Collection = { ...input, description: '', builtin: false };
    const view = toCollectionView(stored);
    expect(view).toMatchObject({
      resource: { id: 'id-1', owner: 'tenant' },
      name: 'Safety',
      category: 'safety',
      tags: ['t'],
      pass_criteria: { threshold: 0.75 },
      benchmarks: [
        { id: 'a', provider_id: 'p', weight: 3, parameters: { k: 1 }, primary_score: { metric: 'acc' } },
        { id: 'b', provider_id: 'p', weight: 1, parameters: {} },
      ],
    });
    const patched = patchedRequest(view, { name: 'Safety 2' });
    expect(patched).toMatchObject({
      name: 'Safety 2',
      category: 'safety',
      pass_criteria: { threshold: 0.75 },
    });
    expect(patched.benchmarks[0]).toMatchObject({ id: 'a', weight: 3 });
  });

  it('gives collections made through our API a category', () => {
    const v = toCollectionView({ id: 'c', name: 'C', builtin: true, benchmarks: [] });
    expect(v.category).toBe('general');
    expect(v.resource.owner).toBe('system');
  });
});
