import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { QueueFullError, ValidationError } from '../errors.js';
import { ScriptedProvider } from '../testing/scripted-provider.js';
import { bench, model, scriptedHubs } from './scripted-hub.test-support.js';

const { tempDir, makeHub } = scriptedHubs();

function validationOf(fn: () => Promise<unknown>): Promise<ValidationError> {
  return fn().then(
    () => {
      throw new Error('expected a validation error');
    },
    (err: unknown) => {
      expect(err).toBeInstanceOf(ValidationError);
      return err as ValidationError;
    },
  );
}

describe('EvaluationService: request semantics', () => {
  it('rejects a request with neither benchmarks nor collection_id, saying how to select', async () => {
    const h = await makeHub();
    const err = await validationOf(() => h.service.submit({ model, experiment: { name: 'x' } }));
    expect(err.code).toBe('nothing_to_evaluate');
    expect(err.message).toMatch(/collection_id/);
    expect(err.message).toMatch(/benchmarks/);
  });

  it('runs the configured default collection for a request that names neither (the spec collection payload)', async () => {
    const h = await makeHub(tempDir(), { EVALHUB_DEFAULT_COLLECTION: 'suite' });
    await h.collections.create({ id: 'suite', name: 'Suite', benchmarks: [bench('ok'), bench('ok2')] });
    const e = await h.evaluate({ model, experiment: { name: 'healthcare-certification' } });
    expect(e.status).toBe('completed');
    expect(e.collection_id).toBe('suite');
    expect(e.benchmarks.map((b) => b.benchmark_id)).toEqual(['ok', 'ok2']);
  });

  it('rejects benchmarks and collection_id together', async () => {
    const h = await makeHub();
    const err = await validationOf(() =>
      h.service.submit({ model, benchmarks: [bench('ok')], collection_id: 'c' }),
    );
    expect(err.details[0]!.pointer).toBe('/collection_id');
  });

  it('names the known providers and close benchmark ids', async () => {
    const h = await makeHub();
    let err = await validationOf(() =>
      h.service.submit({ model, benchmarks: [{ benchmark_id: 'ok', provider_id: 'lmeval' }] }),
    );
    expect(err.details[0]).toMatchObject({ pointer: '/benchmarks/0/provider_id' });
    expect(err.details[0]!.message).toMatch(/Installed providers: scripted/);
    err = await validationOf(() => h.service.submit({ model, benchmarks: [bench('slwo')] }));
    expect(err.details[0]).toMatchObject({ pointer: '/benchmarks/0/benchmark_id' });
    expect(err.details[0]!.message).toMatch(/Did you mean 'slow'/);
  });

  it('rejects a benchmark requested twice (its metric names would collide)', async () => {
    const h = await makeHub();
    const err = await validationOf(() => h.service.submit({ model, benchmarks: [bench('ok'), bench('ok')] }));
    expect(err.details[0]!.pointer).toBe('/benchmarks/1/benchmark_id');
  });

  it('rejects an unresolvable model server, listing the configured ones', async () => {
    const h = await makeHub();
    const err = await validationOf(() =>
      h.service.submit({ model: { server: 'tgi', name: 'm' }, benchmarks: [bench('ok')] }),
    );
    expect(err.code).toBe('model_unresolvable');
    expect(err.details[0]!.pointer).toBe('/model/server');
    expect(err.details[0]!.message).toMatch(/configured: vllm/);
  });

  it('lets model.url win over server resolution', async () => {
    const h = await makeHub();
    const e = await h.evaluate({
      model: { server: 'tgi', name: 'm', url: 'http://10.1.2.3:8000/v1/' },
      benchmarks: [bench('ok')],
    });
    expect(e.model.url).toBe('http://10.1.2.3:8000/v1');
  });

  it("maps a provider's validation issues under the benchmark's config pointer", async () => {
    const h = await makeHub();
    const err = await validationOf(() =>
      h.service.submit({ model, benchmarks: [bench('ok', { durationMs: -1 })] }),
    );
    expect(err.details[0]!.pointer).toBe('/benchmarks/0/config/durationMs');
  });

  it("checks each benchmark's config against the benchmark's declared config_schema before storing", async () => {
    class SchemaProvider extends ScriptedProvider {
      override describe() {
        const d = super.describe();
        return {
          ...d,
          benchmarks: d.benchmarks.map((b) =>
            b.id === 'ok'
              ? {
                  ...b,
                  config_schema: {
                    type: 'object',
                    properties: { num_fewshot: { type: 'integer', minimum: 0, maximum: 100 } },
                  },
                }
              : b,
          ),
        };
      }
    }
    const h = await makeHub(tempDir(), {}, { providers: [new SchemaProvider()] });
    const err = await validationOf(() =>
      h.service.submit({ model, benchmarks: [bench('noop'), bench('ok', { num_fewshot: 1e9 })] }),
    );
    expect(err.details).toEqual([
      {
        pointer: '/benchmarks/1/config/num_fewshot',
        message: 'Must be <= 100.',
      },
    ]);
    expect((await h.service.list({ limit: 10 })).total).toBe(0);
    expect((await h.evaluate({ model, benchmarks: [bench('ok', { num_fewshot: 5 })] })).status).toBe(
      'completed',
    );
  });

  it('refuses a configured API key for a request that names another URL, and credentials in model.url', async () => {
    const h = await makeHub(tempDir(), { EVALHUB_MODEL_SERVER_VLLM_API_KEY: 'sk-never-elsewhere' });
    const provider = h.providers.get('scripted') as ScriptedProvider;
    await h.evaluate({ model, benchmarks: [bench('ok')] });
    await h.evaluate({ model: { ...model, url: 'http://127.0.0.1:10/v1' }, benchmarks: [bench('ok')] });
    expect(provider.runs.map((t) => t.modelApiKey)).toEqual(['sk-never-elsewhere', undefined]);
    const err = await validationOf(() =>
      h.service.submit({ model: { ...model, url: 'http://u:p@127.0.0.1:10/v1' }, benchmarks: [bench('ok')] }),
    );
    expect(err.details[0]!.pointer).toBe('/model/url');
  });

  it('stores nothing for a rejected request', async () => {
    const h = await makeHub();
    await validationOf(() => h.service.submit({ model, benchmarks: [bench('nope')] }));
    expect((await h.service.list({ limit: 10 })).total).toBe(0);
  });

  it('expands a collection and snapshots it: later edits do not change the evaluation', async () => {
    const h = await makeHub();
    await h.collections.create({ id: 'suite', name: 'Suite', benchmarks: [bench('ok'), bench('ok2')] });
    const e = await h.evaluate({
      model,
      collection_id: 'suite',
      experiment: { name: 'healthcare-certification' },
    });
    expect(e.collection_id).toBe('suite');
    expect(e.benchmarks.map((b) => b.benchmark_id)).toEqual(['ok', 'ok2']);
    await h.collections.replace('suite', { name: 'Suite', benchmarks: [bench('fail')] });
    expect((await h.service.get(e.id)).benchmarks.map((b) => b.benchmark_id)).toEqual(['ok', 'ok2']);
  });

  it('rejects an unknown collection with the available ones', async () => {
    const h = await makeHub();
    const err = await validationOf(() => h.service.submit({ model, collection_id: 'nope' }));
    expect(err.details[0]!.pointer).toBe('/collection_id');
  });
});

describe('EvaluationService: state machine', () => {
  it('completes, with results, artifacts and the execution log kept per benchmark', async () => {
    const h = await makeHub();
    const e = await h.evaluate({
      model,
      benchmarks: [bench('ok', { metrics: { score: 0.25, f1: 0.5 }, steps: 3 })],
    });
    expect(e.status).toBe('completed');
    const b = e.benchmarks[0]!;
    expect(b).toMatchObject({
      status: 'completed',
      attempts: 1,
      results: { metrics: { score: 0.25, f1: 0.5 }, samples: 1 },
    });
    expect(b.progress.fraction).toBe(1);
    expect(b.artifacts?.map((a) => a.name)).toContain('ok/result.json');
    expect(e.started_at && e.finished_at).toBeTruthy();
  });

  it('one failing benchmark never loses the others: partially_failed with both outcomes', async () => {
    const h = await makeHub();
    const e = await h.evaluate({
      model,
      benchmarks: [bench('ok'), bench('fail', { fail: 'dataset exploded' })],
    });
    expect(e.status).toBe('partially_failed');
    expect(e.benchmarks[0]!.status).toBe('completed');
    expect(e.benchmarks[1]).toMatchObject({ status: 'failed', error: { message: 'dataset exploded' } });
    expect(e.error?.message).toMatch(/fail: dataset exploded/);
  });

  it('all failing → failed', async () => {
    const h = await makeHub();
    const e = await h.evaluate({ model, benchmarks: [bench('fail')] });
    expect(e.status).toBe('failed');
  });

  it('times a benchmark out and kills its process', async () => {
    const h = await makeHub();
    const e = await h.evaluate({
      model,
      timeout_seconds: 1,
      benchmarks: [bench('command', { command: ['sleep', '30'] }), bench('ok')],
    });
    expect(e.benchmarks[0]).toMatchObject({ status: 'failed', error: { code: 'benchmark_timeout' } });
    expect(e.benchmarks[1]!.status).toBe('completed');
    expect(e.status).toBe('partially_failed');
  });

  it('cancels a running evaluation: the process group is killed, pending benchmarks cancelled', async () => {
    const dir = tempDir();
    const h = await makeHub(dir, { EVALHUB_BENCHMARK_CONCURRENCY: '1' });
    const pidFile = join(dir, 'child.pid');
    const { evaluation } = await h.service.submit({
      model,
      benchmarks: [
        bench('command', { command: ['sh', '-c', `echo $$ > ${pidFile}; exec sleep 60`] }),
        bench('ok'),
      ],
    });
    for await (const ev of h.service.subscribe(evaluation.id))
      if (ev.type === 'benchmark_status' && ev.status === 'running') break;
    while (!existsSync(pidFile) || readFileSync(pidFile, 'utf8').trim() === '')
      await new Promise((r) => setImmediate(r));
    const pid = Number(readFileSync(pidFile, 'utf8'));
    const cancelled = await h.service.cancel(evaluation.id);
    expect(cancelled.benchmarks[1]!.status).toBe('cancelled');
    const final = await h.service.wait(evaluation.id);
    expect(final.status).toBe('cancelled');
    expect(final.benchmarks[0]!.status).toBe('cancelled');
    expect(() => process.kill(pid, 0)).toThrow();
    await expect(h.service.cancel(evaluation.id)).rejects.toMatchObject({ status: 409 });
  });

  it('streams status, progress, log and result events, resumable after a sequence number', async () => {
    const h = await makeHub();
    const { evaluation } = await h.service.submit({ model, benchmarks: [bench('ok', { steps: 2 })] });
    const events = [];
    for await (const ev of h.service.subscribe(evaluation.id)) events.push(ev);
    const types = events.map((e) => e.type);
    expect(types).toContain('progress');
    expect(types).toContain('log');
    expect(types.at(-1)).toBe('result');
    expect(events.at(-1)!.evaluation!.status).toBe('completed');
    const after = events[2]!.seq;
    const resumed = [];
    for await (const ev of h.service.subscribe(evaluation.id, after)) resumed.push(ev.seq);
    expect(resumed[0]).toBe(after + 1);
    expect(resumed.length).toBe(events.length - 3);
  });

  it('keeps provider log lines and process output in the benchmark log, tailed by logs()', async () => {
    const h = await makeHub();
    const e = await h.evaluate({
      model,
      benchmarks: [bench('command', { steps: 2, command: ['sh', '-c', 'echo from-the-process'] })],
    });
    const logs = await h.service.logs(e.id);
    expect(logs.benchmarks[0]!.lines).toEqual(['step 1/2', 'step 2/2', 'from-the-process']);
    expect((await h.service.logs(e.id, { tail: 1 })).benchmarks[0]!.lines).toEqual(['from-the-process']);
    expect(e.benchmarks[0]!.artifacts?.map((a) => a.name)).toContain('command/execution.log');
  });

  it('bounds concurrency per evaluation', async () => {
    const h = await makeHub(tempDir(), { EVALHUB_BENCHMARK_CONCURRENCY: '1' });
    const e = await h.evaluate({ model, benchmarks: [bench('slow', { durationMs: 50 }), bench('ok')] });
    const [a, b] = e.benchmarks;
    expect(Date.parse(b!.started_at!)).toBeGreaterThanOrEqual(Date.parse(a!.finished_at!));
  });

  it('refuses submissions beyond max_queued_evaluations with 429, storing nothing, and accepts again once there is room', async () => {
    const h = await makeHub(tempDir(), {
      EVALHUB_MAX_CONCURRENT_EVALUATIONS: '1',
      EVALHUB_MAX_QUEUED_EVALUATIONS: '2',
    });
    const slow = { model, benchmarks: [bench('slow', { durationMs: 60_000 })] };
    const running = await h.service.submit(slow);
    // Two wait; submitted in the same turn, both are counted before either reaches the queue.
    const queued = await Promise.all([h.service.submit(slow), h.service.submit(slow)]);
    const refused = await h.service.submit(slow).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(QueueFullError);
    expect(refused).toMatchObject({ status: 429, code: 'queue_full', retryAfterSeconds: 5 });
    expect((refused as QueueFullError).message).toMatch(/max_queued_evaluations/);
    expect((await h.service.list({ limit: 10 })).total).toBe(3);

    await h.service.cancel(queued[0].evaluation.id);
    const accepted = await h.service.submit({ model, benchmarks: [bench('ok')] });
    expect(accepted.created).toBe(true);
    await h.service.cancel(running.evaluation.id);
    await h.service.cancel(queued[1].evaluation.id);
    expect((await h.service.wait(accepted.evaluation.id)).status).toBe('completed');
  });
});
