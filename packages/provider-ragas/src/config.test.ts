import { describe, expect, it } from 'vitest';
import { CONFIG_SCHEMA, describeBenchmarks, requiredColumns, SUITES } from './catalog.js';
import { openAiBaseUrl, parseBenchmarkConfig } from './config.js';

describe('parseBenchmarkConfig', () => {
  it('accepts a minimal config and resolves the metrics of a benchmark or suite', () => {
    expect(parseBenchmarkConfig('faithfulness', { dataset_path: 'a.jsonl' }).config?.metrics).toEqual([
      'faithfulness',
    ]);
    expect(parseBenchmarkConfig('rag_default', { dataset_path: 'a.jsonl' }).config?.metrics).toEqual(
      SUITES.rag_default!.metrics,
    );
  });

  it('rejects an unknown benchmark and unknown metrics', () => {
    expect(parseBenchmarkConfig('faithfullness', { dataset_path: 'a' }).issues[0]!.message).toMatch(
      /Unknown RAGAS benchmark 'faithfullness'/,
    );
    const { issues } = parseBenchmarkConfig('rag_default', {
      dataset_path: 'a',
      metrics: ['faithfulness', 'bogus'],
    });
    expect(issues).toEqual([
      { pointer: '/metrics/1', message: expect.stringMatching(/unknown metric 'bogus'/) },
    ]);
  });

  it('requires dataset_path and checks every field', () => {
    const { config, issues } = parseBenchmarkConfig('faithfulness', {
      limit: 0,
      concurrency: 1.5,
      json_mode: 'xml',
      timeout_seconds: -1,
      judge: { url: 'ftp://x', model: '' },
      column_map: { question: 'q' },
    });
    expect(config).toBeUndefined();
    expect(issues.map((i) => i.pointer).sort()).toEqual(
      [
        '/column_map/question',
        '/concurrency',
        '/dataset_path',
        '/json_mode',
        '/judge/model',
        '/judge/url',
        '/limit',
        '/timeout_seconds',
      ].sort(),
    );
  });

  it('enforces the bounds its published schema declares', () => {
    const { issues } = parseBenchmarkConfig('faithfulness', {
      dataset_path: 'a',
      limit: 1e9,
      concurrency: 1e6,
      colour: 'red',
      judge: { url: 'http://j/v1', model: 'm', extra: 1 },
    });
    expect(issues).toEqual([
      { pointer: '/colour', message: expect.stringMatching(/not a known field/) },
      { pointer: '/limit', message: 'Must be <= 10000000.' },
      { pointer: '/judge/extra', message: expect.stringMatching(/not a known field/) },
      { pointer: '/concurrency', message: 'Must be <= 256.' },
    ]);
    for (const b of describeBenchmarks()) expect(b.config_schema).toBe(CONFIG_SCHEMA);
  });

  it('keeps judge, embeddings and tuning settings', () => {
    const { config } = parseBenchmarkConfig('answer_relevancy', {
      dataset_path: 'a',
      judge: { url: 'http://judge:8000/v1', model: 'j' },
      embeddings: { url: 'http://emb:8000', model: 'e' },
      json_mode: 'md_json',
      concurrency: 2,
      limit: 5,
      timeout_seconds: 30,
    });
    expect(config).toMatchObject({
      judge: { url: 'http://judge:8000/v1', model: 'j' },
      embeddings: { model: 'e' },
      jsonMode: 'md_json',
      concurrency: 2,
      limit: 5,
      timeoutSeconds: 30,
    });
  });
});

describe('openAiBaseUrl', () => {
  it('appends /v1 unless a version segment is there', () => {
    expect(openAiBaseUrl('http://h:8000')).toBe('http://h:8000/v1');
    expect(openAiBaseUrl('http://h:8000/')).toBe('http://h:8000/v1');
    expect(openAiBaseUrl('http://h:8000/v1/')).toBe('http://h:8000/v1');
    expect(openAiBaseUrl('http://h/openai/v2')).toBe('http://h/openai/v2');
  });
});

describe('catalog', () => {
  it('lists every required metric and the suites with their required columns', () => {
    const ids = describeBenchmarks().map((b) => b.id);
    for (const id of [
      'faithfulness',
      'answer_relevancy',
      'context_precision',
      'context_recall',
      'factual_correctness',
      'answer_correctness',
      ...SUITES.rag_no_llm!.metrics,
      'rag_default',
    ]) {
      expect(ids).toContain(id);
    }
    // the metrics that need no model are the catalog's own (category rag_no_llm): all seven, run by rag_no_llm
    const noModel = describeBenchmarks().filter((b) => b.category === 'rag_no_llm');
    expect(noModel.map((b) => b.id)).toEqual(SUITES.rag_no_llm!.metrics);
    expect(noModel).toHaveLength(7);
    const suite = describeBenchmarks().find((b) => b.id === 'rag_default')!;
    expect(suite.required_columns).toEqual(['user_input', 'response', 'reference', 'retrieved_contexts']);
    expect(requiredColumns(['exact_match'])).toEqual(['response', 'reference']);
  });
});
