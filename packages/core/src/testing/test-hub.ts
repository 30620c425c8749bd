import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/config.js';
import type { EvaluationProvider } from '../extension-points/provider.js';
import type { Tracker } from '../extension-points/tracker.js';
import { createHub, type CreateHubOptions, type Hub, type PluginInput } from '../hub.js';
import { silentLogger } from '../logging.js';
import { MemoryStore } from '../stores/memory-store.js';

export interface TestHubOptions {
  /** Plugin manifests to register (with options), as a configured hub would. */
  plugins?: PluginInput[];
  providers?: EvaluationProvider[];
  /** Default: none (tracking disabled); pass a RecordingTracker to assert what is tracked. */
  tracker?: Tracker;
  /** Extra config, in the config file's snake_case shape. */
  config?: Record<string, unknown>;
  /** Environment the config (and plugins' declared variables) is read from. Default: empty. */
  env?: Record<string, string>;
  /** Service fine-tuning (e.g. short tracking retry delays). */
  settings?: CreateHubOptions['settings'];
}

export interface TestHub {
  hub: Hub;
  /** The hub's temporary data folder (removed by close). */
  dir: string;
  close(): Promise<void>;
}

/**
 * A real hub for plugin tests: core's createHub with an in-memory store, a temporary data folder,
 * no plugin discovery, a silent logger and an empty environment unless given. Nothing in it is a
 * fake: plugins register through the same loader and context as in production.
 */
export async function createTestHub(o: TestHubOptions = {}): Promise<TestHub> {
  const dir = await mkdtemp(join(tmpdir(), 'evalhub-test-hub-'));
  try {
    const config = loadConfig({
      env: o.env ?? {},
      cwd: dir,
      overrides: { data_dir: join(dir, 'data'), tracker: 'none', discover_plugins: false, ...o.config },
    });
    const hub = await createHub({
      config,
      logger: silentLogger(),
      store: new MemoryStore(),
      ...(o.tracker ? { tracker: o.tracker } : {}),
      ...(o.plugins ? { plugins: o.plugins } : {}),
      ...(o.providers ? { providers: o.providers } : {}),
      ...(o.settings ? { settings: o.settings } : {}),
    });
    return {
      hub,
      dir,
      async close() {
        await hub.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
