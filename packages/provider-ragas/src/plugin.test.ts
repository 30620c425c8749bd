import { isPlugin, PLUGIN_API_VERSION } from '@evalhub/core';
import type { HubInfo } from '@evalhub/core';
import { createTestPluginContext } from '@evalhub/core/testing';
import { describe, expect, it } from 'vitest';
import plugin from './index.js';
import { RagasProvider } from './provider.js';

// The hub facts the plugin sees (createTestPluginContext records the provider it adds, and refuses
// a tracker, store or runtime from a provider plugin).
const HUB = {
  version: '0.0.0',
  dataDir: '/state',
  configDir: '/etc/evalhub',
  dataRoot: '/srv/data',
  python: '/venv/bin/python',
};
const context = (hub: Partial<HubInfo> = {}) =>
  createTestPluginContext({ kind: 'provider', hub: { ...HUB, ...hub } });

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
    const ctx = context();
    const { providers } = ctx;
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
    await plugin.register(a, { python: '.venv/bin/python', data_root: 'datasets' });
    expect((a.providers[0] as unknown as { options: object }).options).toMatchObject({
      python: '/etc/evalhub/.venv/bin/python',
      dataRoot: '/etc/evalhub/datasets',
    });
    const b = context({ python: undefined });
    await plugin.register(b, { python: 'python3.11' });
    expect((b.providers[0] as unknown as { options: object }).options).toMatchObject({
      python: 'python3.11',
    });
  });
});
