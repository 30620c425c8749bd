import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from './config/config.js';
import { createHub, type Hub } from './hub.js';
import { StoreToken } from './extension-points/store.js';
import { TrackerToken } from './extension-points/tracker.js';
import { ModelGateway } from './gateway/model-gateway.js';
import { silentLogger } from './logging.js';
import { ScriptedProvider } from './testing/scripted-provider.js';

const hubs: Hub[] = [];
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((h) => h.close()));
});

async function hub(env: Record<string, string> = {}): Promise<Hub> {
  const dir = mkdtempSync(join(tmpdir(), 'evalhub-hub-'));
  const h = await createHub({
    config: loadConfig({
      cwd: dir,
      env: { EVALHUB_TRACKER: 'none', EVALHUB_DISCOVER_PLUGINS: 'false', ...env },
    }),
    providers: [new ScriptedProvider()],
    logger: silentLogger(),
  });
  hubs.push(h);
  return h;
}

describe('createHub', () => {
  it('runs an evaluation to completion with the scripted provider', async () => {
    const h = await hub();
    const result = await h.evaluate({
      model: { server: 'vllm', name: 'm', url: 'http://127.0.0.1:9/v1' },
      benchmarks: [{ benchmark_id: 'ok', provider_id: 'scripted', config: { metrics: { score: 0.5 } } }],
    });
    expect(result.status).toBe('completed');
    expect(result.benchmarks[0]!.results!.metrics).toEqual({ score: 0.5 });
    // The extension points are in the hub's container under their tokens.
    expect(h.container.resolve(TrackerToken).name).toBe('none');
    expect(h.container.resolve(StoreToken).name).toBe('sqlite');
  });

  it('builds an idle model gateway from the configured model servers', async () => {
    const h = await hub({ EVALHUB_MODEL_SERVER_VLLM: 'http://127.0.0.1:9/v1' });
    expect(h.container.resolve(ModelGateway)).toBe(h.gateway);
    // nothing routed yet: no cache file
    expect(existsSync(join(h.config.dataDir, 'gateway-cache.db'))).toBe(false);
    const route = await h.gateway.route({
      evaluationId: 'e',
      benchmarkId: 'b',
      model: { server: 'vllm', url: 'http://127.0.0.1:9/v1' },
    });
    expect(route.baseUrl).toMatch(/\/v1$/);
    expect(existsSync(join(h.config.dataDir, 'gateway-cache.db'))).toBe(true);
    route.release();
  });
});
