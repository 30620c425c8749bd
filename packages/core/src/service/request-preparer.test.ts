import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { MemoryStore } from '../stores/memory-store.js';
import { ScriptedProvider } from '../testing/scripted-provider.js';
import type { Collection } from '../types.js';
import { CollectionCatalog } from './collection-catalog.js';
import { ModelResolver } from './model-resolver.js';
import { ProviderRegistry } from './provider-registry.js';
import { RequestPreparer, type RequestPreparerDeps } from './request-preparer.js';

const model = { server: 'vllm', name: 'm', url: 'http://127.0.0.1:9/v1' };
const nightly: Collection = {
  id: 'nightly',
  name: 'Nightly',
  builtin: true,
  benchmarks: [
    { benchmark_id: 'ok', provider_id: 'scripted' },
    { benchmark_id: 'slow', provider_id: 'scripted', config: { durationMs: -1 } },
  ],
};

/** A preparer over the real registry (the scripted provider), catalog and memory store. */
function preparer(deps: Partial<RequestPreparerDeps> = {}): RequestPreparer {
  const store = new MemoryStore();
  const providers = new ProviderRegistry();
  providers.add(new ScriptedProvider());
  return new RequestPreparer({
    models: new ModelResolver({}),
    collections: new CollectionCatalog(store, [nightly]),
    providers,
    trackerName: 'none',
    trackingEnabled: false,
    defaultTimeoutSeconds: 60,
    findEvaluation: (id) => store.getEvaluation(id),
    findLatest: async () => undefined,
    runtime: { name: 'local' },
    ...deps,
  });
}

async function refusal(p: RequestPreparer, body: unknown): Promise<ValidationError> {
  const err = await p.prepare(body).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ValidationError);
  expect((err as ValidationError).status).toBe(400);
  return err as ValidationError;
}

describe('RequestPreparer', () => {
  it('turns a valid request into a pending evaluation without storing it', async () => {
    const e = await preparer().prepare({
      model,
      benchmarks: [{ benchmark_id: 'ok', provider_id: 'scripted', config: { metrics: { score: 1 } } }],
    });
    expect(e).toMatchObject({
      status: 'pending',
      model: { name: 'm', url: 'http://127.0.0.1:9/v1' },
      benchmarks: [{ benchmark_id: 'ok', provider_id: 'scripted', status: 'pending', attempts: 0 }],
      tracking: { tracker: 'none', state: 'disabled' },
    });
  });

  it('needs exactly one of benchmarks and collection_id', async () => {
    const none = await refusal(preparer(), { model });
    expect(none.code).toBe('nothing_to_evaluate');
    expect(none.details).toEqual([{ pointer: '', message: expect.stringContaining("add 'benchmarks'") }]);

    const both = await refusal(preparer(), {
      model,
      collection_id: 'nightly',
      benchmarks: [{ benchmark_id: 'ok', provider_id: 'scripted' }],
    });
    expect(both.code).toBe('benchmarks_and_collection');
    expect(both.details[0]!.pointer).toBe('/collection_id');

    // With a default collection configured, naming neither prepares it: nightly's 'slow' benchmark is
    // refused, at the collection.
    const byDefault = await refusal(preparer({ defaultCollection: 'nightly' }), { model });
    expect(byDefault.details).toEqual([
      { pointer: '/collection_id', message: expect.stringMatching(/^slow: /) },
    ]);
  });

  it('reports every unknown provider, unknown benchmark and repeated benchmark at once', async () => {
    const err = await refusal(preparer(), {
      model,
      benchmarks: [
        { benchmark_id: 'ok', provider_id: 'nope' },
        { benchmark_id: 'okk', provider_id: 'scripted' },
        { benchmark_id: 'ok', provider_id: 'scripted' },
        { benchmark_id: 'ok', provider_id: 'scripted' },
      ],
    });
    expect(err.code).toBe('validation_failed');
    expect(err.details.map((d) => d.pointer)).toEqual([
      '/benchmarks/0/provider_id',
      '/benchmarks/1/benchmark_id',
      '/benchmarks/3/benchmark_id',
    ]);
    expect(err.details[0]!.message).toMatch(/Installed providers: scripted/);
    expect(err.details[1]!.message).toMatch(/Did you mean 'ok'/);
    expect(err.details[2]!.message).toMatch(/already requested at index 2/);
    expect(err.message).toMatch(/\(and 2 more\)$/);
  });

  it("points a provider's validate() issues into the benchmark's config, or at the collection", async () => {
    const direct = await refusal(preparer(), {
      model,
      benchmarks: [{ benchmark_id: 'slow', provider_id: 'scripted', config: { durationMs: -1 } }],
    });
    expect(direct.details).toEqual([
      { pointer: '/benchmarks/0/config/durationMs', message: 'Must be a number of milliseconds >= 0.' },
    ]);

    const fromCollection = await refusal(preparer(), { model, collection_id: 'nightly' });
    expect(fromCollection.details).toEqual([
      { pointer: '/collection_id', message: 'slow: Must be a number of milliseconds >= 0.' },
    ]);

    const unknown = await refusal(preparer(), { model, collection_id: 'weekly' });
    expect(unknown.code).toBe('collection_not_found');
  });

  it('refuses a baseline that names no earlier evaluation', async () => {
    const err = await refusal(preparer(), {
      model,
      benchmarks: [{ benchmark_id: 'ok', provider_id: 'scripted' }],
      baseline: { evaluation_id: 'missing' },
    });
    expect(err.details).toEqual([
      { pointer: '/baseline/evaluation_id', message: expect.stringContaining("no evaluation 'missing'") },
    ]);
  });

  it('refuses resources with a runtime that takes none, and passes them on where the runtime can give them', async () => {
    const body = {
      model,
      benchmarks: [
        { benchmark_id: 'ok', provider_id: 'scripted', resources: { limits: { 'nvidia.com/gpu': '1' } } },
      ],
    };
    const local = await refusal(preparer(), body);
    expect(local.details).toEqual([
      {
        pointer: '/benchmarks/0/resources',
        message: expect.stringMatching(/'local' runtime .* takes no resources/),
      },
    ]);
    const asked: unknown[] = [];
    const placing = (max: number) => ({
      name: 'placing',
      checkResources: (r: { limits?: Record<string, string> }) => {
        asked.push(r);
        return Number(r.limits?.['nvidia.com/gpu']) > max ? [`At most ${max} GPU.`] : [];
      },
    });
    const e = await preparer({ runtime: placing(1) }).prepare(body);
    expect(e.benchmarks[0]!.resources).toEqual({ limits: { 'nvidia.com/gpu': '1' } });
    expect(asked).toEqual([{ limits: { 'nvidia.com/gpu': '1' } }]);
    const over = await refusal(preparer({ runtime: placing(0) }), body);
    expect(over.details).toEqual([{ pointer: '/benchmarks/0/resources', message: 'At most 0 GPU.' }]);
    // the schema names a malformed quantity before any runtime is asked
    const malformed = await refusal(preparer({ runtime: placing(8) }), {
      ...body,
      benchmarks: [
        { benchmark_id: 'ok', provider_id: 'scripted', resources: { requests: { memory: 'lots' } } },
      ],
    });
    expect(malformed.details[0]!.pointer).toBe('/benchmarks/0/resources/requests/memory');
  });
});
