import { describe, expect, it } from 'vitest';
import payloads from '../../test/fixtures/spec-payloads.json' with { type: 'json' };
import { ValidationError } from '../errors.js';
import { assertValid } from './validator.js';

const valid = () => structuredClone(payloads.single) as Record<string, any>;

function pointersOf(body: unknown): string[] {
  try {
    assertValid('EvaluationRequest', body);
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    const e = err as ValidationError;
    expect(e.status).toBe(400);
    for (const d of e.details) expect(d.message.length).toBeGreaterThan(5);
    return e.details.map((d) => d.pointer);
  }
  return [];
}

describe('EvaluationRequest schema', () => {
  it('accepts the spec payloads (the collection one with a collection_id added)', () => {
    expect(pointersOf(payloads.single)).toEqual([]);
    expect(pointersOf(payloads.multi)).toEqual([]);
    expect(pointersOf({ ...payloads.collection, collection_id: 'healthcare-certification' })).toEqual([]);
  });

  it('accepts the CI/CD curl body (no benchmark config) and tag values up to 5000 characters', () => {
    const body = {
      model: { server: 'vllm', name: 'my-model:v1.0' },
      benchmarks: [{ benchmark_id: 'arc_easy', provider_id: 'lm_evaluation_harness' }],
      experiment: {
        name: 'ci-evaluation-42',
        tags: { build_id: '42', branch: 'main', commit: 'abc', long: 'x'.repeat(5000) },
      },
    };
    expect(pointersOf(body)).toEqual([]);
  });

  // Each case: a mutation of a valid request and the pointer the error must carry.
  const cases: [string, (b: Record<string, any>) => unknown, string][] = [
    ['body is not an object', () => [], ''],
    ['body is a string', () => 'hello', ''],
    ['model missing', (b) => (delete b.model, b), '/model'],
    ['model is a string', (b) => ((b.model = 'llama'), b), '/model'],
    ['model.name missing', (b) => (delete b.model.name, b), '/model/name'],
    ['model.name empty', (b) => ((b.model.name = ''), b), '/model/name'],
    ['model.server missing', (b) => (delete b.model.server, b), '/model/server'],
    ['model.server a number', (b) => ((b.model.server = 5), b), '/model/server'],
    ['model.url not a URL', (b) => ((b.model.url = 'vllm:8000'), b), '/model/url'],
    ['model.url ftp', (b) => ((b.model.url = 'ftp://host/v1'), b), '/model/url'],
    ['unknown model field', (b) => ((b.model.endpoint = 'x'), b), '/model/endpoint'],
    [
      'temperature too high',
      (b) => ((b.model.configuration.temperature = 5), b),
      '/model/configuration/temperature',
    ],
    [
      'max_tokens not integer',
      (b) => ((b.model.configuration.max_tokens = 1.5), b),
      '/model/configuration/max_tokens',
    ],
    [
      'configuration value an object',
      (b) => ((b.model.configuration.stop = { a: 1 }), b),
      '/model/configuration/stop',
    ],
    ['benchmarks empty', (b) => ((b.benchmarks = []), b), '/benchmarks'],
    ['benchmarks not an array', (b) => ((b.benchmarks = { arc_easy: {} }), b), '/benchmarks'],
    ['benchmark_id missing', (b) => (delete b.benchmarks[0].benchmark_id, b), '/benchmarks/0/benchmark_id'],
    ['provider_id missing', (b) => (delete b.benchmarks[0].provider_id, b), '/benchmarks/0/provider_id'],
    [
      'benchmark_id with spaces',
      (b) => ((b.benchmarks[0].benchmark_id = 'arc easy'), b),
      '/benchmarks/0/benchmark_id',
    ],
    [
      'provider_id with slash',
      (b) => ((b.benchmarks[0].provider_id = 'lm/eval'), b),
      '/benchmarks/0/provider_id',
    ],
    ['benchmark config an array', (b) => ((b.benchmarks[0].config = [0]), b), '/benchmarks/0/config'],
    ['unknown benchmark field', (b) => ((b.benchmarks[0].params = {}), b), '/benchmarks/0/params'],
    ['experiment without name', (b) => (delete b.experiment.name, b), '/experiment/name'],
    ['experiment name empty', (b) => ((b.experiment.name = ''), b), '/experiment/name'],
    ['experiment name with slash', (b) => ((b.experiment.name = 'a/b'), b), '/experiment/name'],
    ['experiment name too long', (b) => ((b.experiment.name = 'n'.repeat(201)), b), '/experiment/name'],
    [
      'tag key with space',
      (b) => ((b.experiment.tags['model family'] = 'x'), b),
      '/experiment/tags/model family',
    ],
    ['tag key with slash', (b) => ((b.experiment.tags['team/ml'] = 'x'), b), '/experiment/tags/team~1ml'],
    [
      'tag key too long',
      (b) => ((b.experiment.tags['k'.repeat(251)] = 'x'), b),
      `/experiment/tags/${'k'.repeat(251)}`,
    ],
    [
      'tag value a number',
      (b) => ((b.experiment.tags.alert_threshold = 0.85), b),
      '/experiment/tags/alert_threshold',
    ],
    ['tag value a boolean', (b) => ((b.experiment.tags.monitoring = true), b), '/experiment/tags/monitoring'],
    [
      'tag value too long',
      (b) => ((b.experiment.tags.notes = 'x'.repeat(5001)), b),
      '/experiment/tags/notes',
    ],
    ['tags not an object', (b) => ((b.experiment.tags = ['a']), b), '/experiment/tags'],
    ['unknown experiment field', (b) => ((b.experiment.description = 'x'), b), '/experiment/description'],
    ['unknown top-level field', (b) => ((b.benchmark = []), b), '/benchmark'],
    [
      'collection_id with spaces',
      (b) => (delete b.benchmarks, (b.collection_id = 'my collection'), b),
      '/collection_id',
    ],
    ['timeout_seconds zero', (b) => ((b.timeout_seconds = 0), b), '/timeout_seconds'],
    ['timeout_seconds a string', (b) => ((b.timeout_seconds = '60'), b), '/timeout_seconds'],
    ['experiment name blank', (b) => ((b.experiment.name = '   '), b), '/experiment/name'],
    ['experiment name lone surrogate', (b) => ((b.experiment.name = 'run-\ud800'), b), '/experiment/name'],
    ['experiment name bidi override', (b) => ((b.experiment.name = 'gpt\u202eevil'), b), '/experiment/name'],
    ['experiment name escape char', (b) => ((b.experiment.name = 'a\u001b[31m'), b), '/experiment/name'],
    ['experiment name C1 control', (b) => ((b.experiment.name = 'a\u0085b'), b), '/experiment/name'],
    ['model name blank', (b) => ((b.model.name = ' \t'), b), '/model/name'],
    ['model name newline', (b) => ((b.model.name = 'a\nb'), b), '/model/name'],
    ['model name lone surrogate', (b) => ((b.model.name = '\udc00'), b), '/model/name'],
    ['model server bidi isolate', (b) => ((b.model.server = 'vllm\u2066'), b), '/model/server'],
    [
      'tag key mlflow.*',
      (b) => ((b.experiment.tags['mlflow.user'] = 'root'), b),
      '/experiment/tags/mlflow.user',
    ],
    [
      'tag key evalhub.*',
      (b) => ((b.experiment.tags['evalhub.status'] = 'ok'), b),
      '/experiment/tags/evalhub.status',
    ],
    ['tag value NUL', (b) => ((b.experiment.tags.notes = 'a\u0000b'), b), '/experiment/tags/notes'],
    ['tag value lone surrogate', (b) => ((b.experiment.tags.notes = 'x\ud83d'), b), '/experiment/tags/notes'],
  ];

  it.each(cases)('rejects %s with the right pointer', (_name, mutate, pointer) => {
    expect(pointersOf(mutate(valid()))).toContain(pointer);
  });

  it('has at least 25 distinct bad-input cases', () => {
    expect(new Set(cases.map((c) => c[2])).size).toBeGreaterThanOrEqual(25);
  });

  it('names the offending tag key and the rule in the message', () => {
    const b = valid();
    b.experiment.tags['bad key!'] = 'x';
    try {
      assertValid('EvaluationRequest', b);
      expect.unreachable();
    } catch (err) {
      const d = (err as ValidationError).details.find((x) => x.pointer === '/experiment/tags/bad key!');
      expect(d?.message).toMatch(/bad key!/);
      expect(d?.message).toMatch(/letters, digits/);
    }
  });

  it('explains reserved tag namespaces and unsafe characters in words', () => {
    const b = valid();
    b.experiment.tags['mlflow.user'] = 'root';
    b.experiment.name = 'x\u202e';
    const details = (() => {
      try {
        assertValid('EvaluationRequest', b);
      } catch (e) {
        return (e as ValidationError).details;
      }
      return [];
    })();
    expect(details.find((d) => d.pointer === '/experiment/tags/mlflow.user')?.message).toMatch(
      /reserved 'mlflow\.' namespace/,
    );
    expect(details.find((d) => d.pointer === '/experiment/name')?.message).toMatch(/bidirectional-override/);
  });

  it('accepts names with emoji, slashes in model names and multi-line tag values', () => {
    const b = valid();
    b.model.name = 'meta-llama/Llama-3.1-8B-Instruct 🦙';
    b.experiment.name = 'nightly 🌙 run';
    b.experiment.tags.notes = 'line one\nline two\ttabbed';
    expect(() => assertValid('EvaluationRequest', b)).not.toThrow();
  });

  it('lists the allowed fields for an unknown one', () => {
    const b = valid();
    b.modle = {};
    const err = (() => {
      try {
        assertValid('EvaluationRequest', b);
      } catch (e) {
        return e as ValidationError;
      }
    })();
    expect(err?.details[0]?.message).toMatch(/Allowed fields: model, benchmarks, collection_id, experiment/);
  });
});
