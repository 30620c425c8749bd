import { describe, expect, it } from 'vitest';
import { PluginError } from '../errors.js';
import { definePlugin } from '../plugins/define-plugin.js';
import { ConformanceError } from './conformance.js';
import { createTestPluginContext } from './plugin-context.js';
import { RecordingTracker } from './recording-tracker.js';
import { ScriptedProvider } from './scripted-provider.js';
import { createTestHub } from './test-hub.js';
import { verifyPlugin } from './verify-plugin.js';

const optionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    url: { type: 'string', pattern: '^https?://', default: 'http://localhost:1' },
    debug: { type: 'boolean' },
  },
};

const goodTracker = definePlugin<{ url: string; debug?: boolean }>({
  name: 'evalhub-tracker-test',
  kind: 'tracker',
  apiVersion: 1,
  optionsSchema,
  settings: { env: { url: 'TEST_TRACKER_URL', debug: 'TEST_TRACKER_DEBUG' } },
  register(ctx) {
    ctx.setTracker(new RecordingTracker());
  },
});

async function failedChecks(p: Promise<unknown>): Promise<string[]> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConformanceError);
  return (err as ConformanceError).checks.filter((c) => !c.ok).map((c) => c.name);
}

describe('verifyPlugin', () => {
  it('passes a well-formed tracker plugin and hands back what it registered', async () => {
    const v = await verifyPlugin(goodTracker, {
      kind: 'tracker',
      name: 'evalhub-tracker-test',
      env: { TEST_TRACKER_DEBUG: 'yes' },
      invalidOptions: [{ url: 'ftp://nope' }, { unknown: 1 }],
    });
    expect(v.checks.every((c) => c.ok)).toBe(true);
    expect(v.checks.map((c) => c.name)).toContain('sets the tracker');
    expect(v.context.tracker).toBeInstanceOf(RecordingTracker);
    expect(v.options).toEqual({ url: 'http://localhost:1', debug: true });
    await v.context.close();
  });

  it('names every failed check: brand, API version, kind, schema, settings, registration', async () => {
    expect(await failedChecks(verifyPlugin({ name: 'x', kind: 'tracker', apiVersion: 1 }))).toEqual([
      'carries the definePlugin brand',
    ]);
    const bad = definePlugin({
      name: 'evalhub-tracker-bad',
      kind: 'tracker',
      apiVersion: 2,
      optionsSchema: { type: 'object', properties: { url: { type: 'string' } } },
      settings: { env: { uri: 'TEST_URI', url: 'lower_case' } },
      register() {},
    });
    expect(
      await failedChecks(
        verifyPlugin(bad, { kind: 'provider', invalidOptions: [{ url: 42 }, { url: 'ok' }] }),
      ),
    ).toEqual([
      'targets plugin API v1',
      'is a provider plugin',
      'options schema refuses {"url":"ok"}',
      'settings.env maps options of the schema to environment variable names',
      'sets the tracker',
    ]);
  });

  it('reports a register() that throws, with the options it was given', async () => {
    const throwing = definePlugin({
      name: 'evalhub-provider-throwing',
      kind: 'provider',
      apiVersion: 1,
      register() {
        throw new Error('python not found');
      },
    });
    const err = (await verifyPlugin(throwing).catch((e: unknown) => e)) as ConformanceError;
    expect(err.message).toMatch(/registers against a plugin context.*python not found/);
    expect(err.message).toMatch(/adds at least one provider: nothing registered/);
  });
});

describe('createTestPluginContext', () => {
  it('records registrations, enforces the kind like the hub, and runs close callbacks last first', async () => {
    const ctx = createTestPluginContext({ name: 'p', kind: 'provider' });
    const order: number[] = [];
    ctx.addProvider(new ScriptedProvider());
    ctx.onClose(() => void order.push(1));
    ctx.onClose(() => void order.push(2));
    expect(() => ctx.setTracker(new RecordingTracker())).toThrow(PluginError);
    expect(() => ctx.setTracker(new RecordingTracker())).toThrow(
      "'p' is a provider plugin and cannot set the tracker.",
    );
    expect(ctx.providers).toHaveLength(1);
    await ctx.close();
    expect(order).toEqual([2, 1]);
  });
});

describe('createTestHub', () => {
  it('runs an evaluation through a registered provider plugin and tracks it', async () => {
    const tracker = new RecordingTracker();
    const plugin = definePlugin({
      name: 'evalhub-provider-scripted',
      kind: 'provider',
      apiVersion: 1,
      register(ctx) {
        ctx.addProvider(new ScriptedProvider('scripted'));
      },
    });
    const t = await createTestHub({
      plugins: [plugin as never],
      tracker,
      config: { model_servers: { vllm: 'http://127.0.0.1:9/v1' } },
    });
    try {
      const e = await t.hub.evaluate({
        model: { server: 'vllm', name: 'm' },
        benchmarks: [{ benchmark_id: 'noop', provider_id: 'scripted', config: { metrics: { score: 0.25 } } }],
      });
      expect(e.status).toBe('completed');
      await t.hub.service.trackingIdle();
      await expect.poll(() => tracker.runs.get(e.id)?.finished?.status).toBe('completed');
      expect(tracker.metrics(e.id)['noop.score']).toBe(0.25);
    } finally {
      await t.close();
    }
  });
});
