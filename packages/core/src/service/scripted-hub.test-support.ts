/**
 * The hub the service tests beside this file run: core's createHub over a data folder the test
 * brings (its default store there unless the options give one), the ScriptedProvider, no tracker,
 * no plugin discovery, a silent logger and a vLLM server at a port nothing listens on.
 * Not part of the build (packages/core/tsconfig.json excludes `*.test-support.ts`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach } from 'vitest';
import { loadConfig } from '../config/config.js';
import { createHub, type CreateHubOptions, type Hub } from '../hub.js';
import { silentLogger } from '../logging.js';
import { ScriptedProvider } from '../testing/scripted-provider.js';

export interface ScriptedHubOptions extends Partial<CreateHubOptions> {
  /** Environment the config is read from, over (and able to replace) the defaults above. */
  env?: Record<string, string>;
}

export function createScriptedHub(
  dir: string,
  { env = {}, ...options }: ScriptedHubOptions = {},
): Promise<Hub> {
  return createHub({
    config: loadConfig({
      cwd: dir,
      env: {
        EVALHUB_TRACKER: 'none',
        EVALHUB_DISCOVER_PLUGINS: 'false',
        EVALHUB_MODEL_SERVER_VLLM: 'http://127.0.0.1:9/v1',
        ...env,
      },
    }),
    providers: [new ScriptedProvider()],
    logger: silentLogger(),
    ...options,
  });
}

/**
 * Scripted hubs for one test file: `makeHub` builds one (in a fresh folder unless given one) and
 * closes it after the test; the folders go when the file is done. Call it at the file's top level.
 */
export function scriptedHubs(): {
  tempDir(): string;
  makeHub(dir?: string, env?: Record<string, string>, extra?: Partial<CreateHubOptions>): Promise<Hub>;
} {
  const tempRoot = mkdtempSync(join(tmpdir(), 'evalhub-test-'));
  afterAll(() => rmSync(tempRoot, { recursive: true, force: true }));
  const hubs: Hub[] = [];
  afterEach(async () => {
    await Promise.all(hubs.splice(0).map((h) => h.close()));
  });
  const tempDir = (): string => mkdtempSync(join(tempRoot, 'evalhub-svc-'));
  return {
    tempDir,
    async makeHub(dir = tempDir(), env = {}, extra = {}) {
      const h = await createScriptedHub(dir, { env, ...extra });
      hubs.push(h);
      return h;
    },
  };
}

/** The request's model and a scripted benchmark, as the service tests submit them. */
export const model = { server: 'vllm', name: 'test-model' };
export const bench = (benchmark_id: string, config: Record<string, unknown> = {}) => ({
  benchmark_id,
  provider_id: 'scripted',
  config,
});
