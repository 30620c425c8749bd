import { isPlugin, PLUGIN_API_VERSION, silentLogger } from '@evalhub/core';
import type { EvaluationProvider, PluginContext } from '@evalhub/core';
import { describe, expect, it } from 'vitest';
import plugin from './index.js';
import { RagasProvider } from './provider.js';

function context(hub: Partial<PluginContext['hub']> = {}): {
  ctx: PluginContext;
  providers: EvaluationProvider[];
} {
  const providers: EvaluationProvider[] = [];
  const unused = () => {
    throw new Error('not a provider operation');
  };
  const ctx: PluginContext = {
    logger: silentLogger(),
    hub: {
      version: '0.0.0',
      dataDir: '/state',
      configDir: '/etc/evalhub',
      dataRoot: '/srv/data',
      python: '/venv/bin/python',
      ...hub,
    },
    addProvider: (p) => providers.push(p),
    setTracker: unused,
    setStore: unused,
    setRuntime: unused,
    addHttpHandler: unused,
    onClose: () => undefined,
  };
  return { ctx, providers };
}

describe('plugin manifest', () => {
  it('is a branded provider plugin of the current API', () => {
    expect(isPlugin(plugin)).toBe(true);
    expect(plugin).toMatchObject({
      name: '@evalhub/provider-ragas',
      kind: 'provider',
      apiVersion: PLUGIN_API_VERSION,
    });
  });

  it('registers one ragas provider using the hub defaults', async () => {
    const { ctx, providers } = context();
    await plugin.register(ctx, {});
    expect(providers).toHaveLength(1);
    expect(providers[0]).toBeInstanceOf(RagasProvider);
    expect(providers[0]!.describe().id).toBe('ragas');
    expect(
      (providers[0] as unknown as { options: { python: string; dataRoot: string } }).options,
    ).toMatchObject({ python: '/venv/bin/python', dataRoot: '/srv/data' });
  });

  it('resolves relative option paths from the config folder and keeps bare commands', async () => {
    const a = context();
    await plugin.register(a.ctx, { python: '.venv/bin/python', data_root: 'datasets' });
    expect((a.providers[0] as unknown as { options: object }).options).toMatchObject({
      python: '/etc/evalhub/.venv/bin/python',
      dataRoot: '/etc/evalhub/datasets',
    });
    const b = context({ python: undefined });
    await plugin.register(b.ctx, { python: 'python3.11' });
    expect((b.providers[0] as unknown as { options: object }).options).toMatchObject({
      python: 'python3.11',
    });
  });
});
