import { ValidationError, type Collection } from '@evalhub/core';
import { describe, expect, it } from 'vitest';
import { EXTENSION_TAG, NAME_TAG } from './job-extension.js';
import { experimentNameFor, toEvaluationRequest, type JobRequest } from './job-request.js';

const servers = { vllm: { url: 'http://vllm:8000/v1' } };
const job: JobRequest = {
  name: 'smoke',
  model: { url: 'http://vllm:8000/v1/', name: 'granite', parameters: { temperature: 0 } },
  benchmarks: [
    {
      id: 'arc_easy',
      provider_id: 'lm_evaluation_harness',
      parameters: { num_fewshot: 0 },
      weight: 2,
      primary_score: { metric: 'acc', lower_is_better: false },
      pass_criteria: { threshold: 0.5 },
    },
  ],
  experiment: { name: 'evals', tags: [{ key: 'team', value: 'a' }] },
};

describe('toEvaluationRequest', () => {
  it('maps benchmarks, model and experiment, and keeps the richer fields in the extension tags', () => {
    const { request, notes } = toEvaluationRequest(
      { ...job, description: 'd', tags: ['nightly'], pass_criteria: { threshold: 0.6 } },
      { modelServers: servers },
    );
    expect(notes).toEqual([]);
    expect(request.model).toEqual({
      server: 'vllm', // the configured server with that URL: its API key applies
      name: 'granite',
      url: 'http://vllm:8000/v1/',
      configuration: { temperature: 0 },
    });
    expect(request.benchmarks).toEqual([
      { benchmark_id: 'arc_easy', provider_id: 'lm_evaluation_harness', config: { num_fewshot: 0 } },
    ]);
    expect(request.experiment!.name).toBe('evals');
    expect(request.experiment!.tags!.team).toBe('a');
    expect(request.experiment!.tags![NAME_TAG]).toBe('smoke');
    expect(JSON.parse(request.experiment!.tags![EXTENSION_TAG]!)).toEqual({
      description: 'd',
      tags: ['nightly'],
      pass_criteria: { threshold: 0.6 },
      benchmarks: [
        {
          weight: 2,
          primary_score: { metric: 'acc', lower_is_better: false },
          pass_criteria: { threshold: 0.5 },
        },
      ],
    });
  });

  it('names the fields without meaning here instead of dropping them silently', () => {
    const { notes, request } = toEvaluationRequest(
      {
        ...job,
        exports: { oci: { coordinates: { oci_host: 'quay.io', oci_repository: 'r' } } },
        queue: { kind: 'kueue', name: 'gpu' },
        model: { ...job.model, auth: { secret_ref: 's' } },
      },
      { modelServers: {} },
    );
    expect(notes.join(' ')).toMatch(/exports.*OCI/);
    expect(notes.join(' ')).toContain("'queue' 'gpu'");
    expect(notes.join(' ')).toContain('model.auth');
    expect(request.model.server).toBe('eval-hub');
    expect(JSON.parse(request.experiment!.tags![EXTENSION_TAG]!).notes).toEqual(notes);
  });

  it('uses the job name as experiment name when the job has no experiment', () => {
    const { request } = toEvaluationRequest(
      { ...job, name: 'a/b', experiment: undefined },
      { modelServers: {} },
    );
    expect(request.experiment!.name).toBe('a-b');
    expect(experimentNameFor('\u0001')).toBe('-');
  });

  it('runs a collection by id, snapshotting its weights; overrides expand it', () => {
    const collection: Collection = {
      id: 'c1',
      name: 'C',
      builtin: false,
      benchmarks: [{ benchmark_id: 'arc_easy', provider_id: 'lm_evaluation_harness', config: { limit: 5 } }],
      eval_hub: { category: 'x', pass_criteria: { threshold: 0.7 }, benchmarks: [{ weight: 3 }] },
    };
    const base = { name: 'n', model: job.model };
    const plain = toEvaluationRequest(
      { ...base, collection: { id: 'c1' } },
      { modelServers: {}, collection },
    );
    expect(plain.request.collection_id).toBe('c1');
    const ext = JSON.parse(plain.request.experiment!.tags![EXTENSION_TAG]!);
    expect(ext).toMatchObject({
      collection: 'c1',
      pass_criteria: { threshold: 0.7 },
      benchmarks: [{ weight: 3 }],
    });
    const over = toEvaluationRequest(
      {
        ...base,
        collection: {
          id: 'c1',
          benchmarks: [{ provider_id: 'lm_evaluation_harness', parameters: { limit: 1, num_fewshot: 1 } }],
        },
      },
      { modelServers: {}, collection },
    );
    expect(over.request.collection_id).toBeUndefined();
    // The collection's own values win (eval-hub's rule).
    expect(over.request.benchmarks![0]!.config).toEqual({ limit: 5, num_fewshot: 1 });
  });

  it('rejects a job it cannot run with the job field to fix', () => {
    const fail = (j: JobRequest): ValidationError => {
      try {
        toEvaluationRequest(j, { modelServers: {} });
      } catch (err) {
        return err as ValidationError;
      }
      throw new Error('expected a ValidationError');
    };
    expect(fail({ ...job, model: { name: 'm', url: '' } }).details[0]!.pointer).toBe('/model/url');
    expect(fail({ ...job, collection: { id: 'c' } }).details[0]!.pointer).toBe('/collection');
    expect(fail({ name: 'x', model: job.model }).details[0]!.message).toMatch(/benchmarks/);
    expect(
      fail({ ...job, experiment: { name: 'e', tags: [{ key: NAME_TAG, value: 'v' }] } }).details[0]!.pointer,
    ).toBe('/experiment/tags');
    expect(fail({ ...job, description: 'x'.repeat(6000) }).message).toMatch(/5000/);
  });
});
