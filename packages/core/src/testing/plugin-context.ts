import { PluginError } from '../errors.js';
import type { EvaluationProvider } from '../extension-points/provider.js';
import type { Runtime } from '../extension-points/runtime.js';
import type { EvaluationStore } from '../extension-points/store.js';
import type { Tracker } from '../extension-points/tracker.js';
import { silentLogger, type Logger } from '../logging.js';
import type { HttpHandler, HubInfo, PluginContext, PluginKind } from '../plugins/define-plugin.js';

/** A PluginContext that keeps what a plugin registers, for plugin tests. */
export interface TestPluginContext extends PluginContext {
  readonly providers: EvaluationProvider[];
  readonly httpHandlers: HttpHandler[];
  readonly tracker: Tracker | undefined;
  readonly store: EvaluationStore | undefined;
  readonly runtime: Runtime | undefined;
  /** Runs the plugin's `onClose` callbacks, last registered first (as the hub does at shutdown). */
  close(): Promise<void>;
}

export interface TestPluginContextOptions {
  /** The plugin's name (used in errors). Default `test-plugin`. */
  name?: string;
  /** The plugin's kind: like the hub, only a tracker plugin may set the tracker, and so on. */
  kind?: PluginKind;
  /** Hub facts the plugin sees; defaults are neutral test values. */
  hub?: Partial<HubInfo>;
  logger?: Logger;
}

/**
 * The context the hub hands a plugin's `register`, without a hub: it records providers, the
 * tracker/store/runtime, HTTP handlers and close callbacks, and refuses a setter outside the
 * plugin's kind with the hub's own PluginError. Use it instead of hand-rolled fakes.
 */
export function createTestPluginContext(options: TestPluginContextOptions = {}): TestPluginContext {
  const name = options.name ?? 'test-plugin';
  const kind = options.kind;
  const closers: (() => Promise<void> | void)[] = [];
  const state: { tracker?: Tracker; store?: EvaluationStore; runtime?: Runtime } = {};
  const providers: EvaluationProvider[] = [];
  const httpHandlers: HttpHandler[] = [];
  const only = (wanted: PluginKind, what: string): void => {
    if (kind !== undefined && kind !== wanted)
      throw new PluginError(name, `'${name}' is a ${kind} plugin and cannot set the ${what}.`);
  };
  return {
    logger: options.logger ?? silentLogger(),
    hub: {
      version: '0.0.0-test',
      dataDir: '.evalhub',
      configDir: '.',
      dataRoot: '.',
      ...options.hub,
    },
    providers,
    httpHandlers,
    get tracker() {
      return state.tracker;
    },
    get store() {
      return state.store;
    },
    get runtime() {
      return state.runtime;
    },
    addProvider: (p) => void providers.push(p),
    setTracker: (t) => {
      only('tracker', 'tracker');
      state.tracker = t;
    },
    setStore: (s) => {
      only('store', 'store');
      state.store = s;
    },
    setRuntime: (r) => {
      only('runtime', 'runtime');
      state.runtime = r;
    },
    addHttpHandler: (h) => void httpHandlers.push(h),
    onClose: (fn) => void closers.push(fn),
    async close() {
      for (const fn of closers.splice(0).reverse()) await fn();
    },
  };
}
