import 'reflect-metadata';
import { join } from 'node:path';
import { container as rootContainer, type DependencyContainer } from 'tsyringe';
import { loadConfig, pluginOptionsFor, type HubConfig } from './config/config.js';
import { isEvalHubError, PluginError } from './errors.js';
import type { EvaluationProvider } from './extension-points/provider.js';
import { RuntimeToken, type Runtime } from './extension-points/runtime.js';
import { StoreToken, type EvaluationStore } from './extension-points/store.js';
import { TrackerToken, type Tracker } from './extension-points/tracker.js';
import { ModelGateway } from './gateway/model-gateway.js';
import { createLogger, type Logger } from './logging.js';
import type { HttpHandler, Plugin, PluginContext, PluginKind } from './plugins/define-plugin.js';
import { discoverPluginPackages, importPlugin, registerPlugin } from './plugins/loader.js';
import { resolvePluginOptions } from './plugins/plugin-options.js';
import { LocalRuntime } from './runtime/local-runtime.js';
import { CollectionCatalog } from './service/collection-catalog.js';
import { EvaluationService, type SubmitOptions } from './service/evaluation-service.js';
import { EventHub } from './service/event-hub.js';
import { ModelResolver } from './service/model-resolver.js';
import { ModelUrlPolicy } from './service/model-url-policy.js';
import { ProviderRegistry } from './service/provider-registry.js';
import { TrackingOutbox } from './service/tracking-outbox.js';
import { LoggerToken, ServiceSettingsToken, type ServiceSettings } from './service/tokens.js';
import { MemoryStore } from './stores/memory-store.js';
import { SqliteStore } from './stores/sqlite-store.js';
import { JsonlTracker } from './trackers/jsonl-tracker.js';
import { NoneTracker } from './trackers/none-tracker.js';
import type { ComponentHealth, Evaluation, Health } from './types.js';
import { CORE_VERSION } from './version.js';

/** The trackers built into core, by the name `tracker` takes in the config; any other name is a plugin. */
const BUILTIN_TRACKERS: Record<string, (options: Record<string, unknown>) => Tracker> = {
  none: () => new NoneTracker(),
  jsonl: (options) => new JsonlTracker({ path: String(options.path) }),
};

const builtinTracker = (name: string): ((options: Record<string, unknown>) => Tracker) | undefined =>
  Object.hasOwn(BUILTIN_TRACKERS, name) ? BUILTIN_TRACKERS[name] : undefined;

export type PluginInput = Plugin<unknown> | { plugin: Plugin<unknown>; options?: Record<string, unknown> };

export interface CreateHubOptions {
  /** Normalised config (see loadConfig); by default read from the environment and cwd. */
  config?: HubConfig;
  /** Plugin manifests to register directly (library use), in addition to the configured ones. */
  plugins?: PluginInput[];
  /** Provider instances to add directly. */
  providers?: EvaluationProvider[];
  /** Instances that win over the configured ones. */
  tracker?: Tracker;
  store?: EvaluationStore;
  runtime?: Runtime;
  logger?: Logger;
  /** Extra folders to resolve plugin packages from, after the config file's folder (or cwd without one). */
  resolveFrom?: string[];
  /** Fine-tuning of the service (tests shorten retry delays). */
  settings?: Partial<ServiceSettings>;
  /** Run recovery (resume unfinished evaluations, replay tracking) right away. Default true. */
  start?: boolean;
}

export interface LoadedPlugin {
  name: string;
  kind: PluginKind;
  location?: string;
}

/** A running hub: the service plus what was wired into it. */
export interface Hub {
  readonly version: string;
  readonly config: HubConfig;
  readonly container: DependencyContainer;
  readonly logger: Logger;
  readonly service: EvaluationService;
  readonly providers: ProviderRegistry;
  readonly collections: CollectionCatalog;
  readonly tracker: Tracker;
  readonly store: EvaluationStore;
  readonly runtime: Runtime;
  readonly plugins: readonly LoadedPlugin[];
  readonly httpHandlers: readonly HttpHandler[];
  /**
   * The model gateway (docs/model-gateway.md), built from `model_servers` with its response cache at
   * `<data_dir>/gateway-cache.db`. Idle (no port, no file) until the service routes a benchmark; the
   * service routes none when `gateway.enabled` is false (unset: only with the local runtime).
   */
  readonly gateway: ModelGateway;
  /** Submit and wait for the final result. */
  evaluate(request: unknown, options?: SubmitOptions & { signal?: AbortSignal }): Promise<Evaluation>;
  health(): Promise<Health>;
  /** Graceful stop: interrupt running work (resumed on the next start), flush tracking, close stores. */
  close(): Promise<void>;
}

/**
 * Builds a hub from config and plugins: the composition root. Wires a child DI container with the
 * store, runtime, tracker and provider registry, and returns the EvaluationService with everything around it.
 */
export async function createHub(options: CreateHubOptions = {}): Promise<Hub> {
  const config = options.config ?? loadConfig();
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const searchFrom = [...new Set([config.configDir, ...(options.resolveFrom ?? [])])];

  const providers = new ProviderRegistry();
  const httpHandlers: HttpHandler[] = [];
  const closers: (() => Promise<void> | void)[] = [];
  const loaded: LoadedPlugin[] = [];
  let tracker: Tracker | undefined = options.tracker;
  let store: EvaluationStore | undefined = options.store;
  let runtime: Runtime | undefined = options.runtime;

  // Where plugins' options come from besides their entries: their sections and declared variables.
  const optionSources = { env: config.env ?? {}, sections: config.sections ?? {} };

  const contextFor = (name: string, kind: PluginKind): PluginContext => ({
    logger: logger.child({ plugin: name }),
    hub: {
      version: CORE_VERSION,
      dataDir: config.dataDir,
      configDir: config.configDir,
      dataRoot: config.dataRoot,
      ...(config.python ? { python: config.python } : {}),
    },
    addProvider: (p) => providers.add(p, name),
    setTracker: (t) => {
      if (kind !== 'tracker')
        throw new PluginError(name, `'${name}' is a ${kind} plugin and cannot set the tracker.`);
      tracker = t;
    },
    setStore: (s) => {
      if (kind !== 'store')
        throw new PluginError(name, `'${name}' is a ${kind} plugin and cannot set the store.`);
      store = s;
    },
    setRuntime: (r) => {
      if (kind !== 'runtime')
        throw new PluginError(name, `'${name}' is a ${kind} plugin and cannot set the runtime.`);
      runtime = r;
    },
    addHttpHandler: (h) => httpHandlers.push(h),
    onClose: (fn) => closers.push(fn),
  });

  const load = async (
    name: string,
    pluginOptions: Record<string, unknown>,
    kind?: PluginKind,
  ): Promise<void> => {
    const mod = await importPlugin(name, searchFrom, kind);
    await registerPlugin(
      mod.plugin,
      name,
      resolvePluginOptions(mod.plugin, { ...optionSources, explicit: pluginOptions }),
      contextFor(name, mod.plugin.kind),
    );
    loaded.push({ name, kind: mod.plugin.kind, location: mod.location });
  };

  try {
    // The store, runtime and tracker: explicit instance > built-in > plugin package.
    if (!store) {
      if (config.store.name === 'sqlite')
        store = new SqliteStore({ path: String(config.store.options.path) });
      else if (config.store.name === 'memory') store = new MemoryStore();
      else await load(config.store.name, config.store.options, 'store');
    }
    if (!runtime) {
      if (config.runtime.name === 'local')
        runtime = new LocalRuntime({ stateDir: join(config.dataDir, 'runtime', 'local') });
      else await load(config.runtime.name, config.runtime.options, 'runtime');
    }
    if (!tracker) {
      const builtin = builtinTracker(config.tracker.name);
      if (builtin) tracker = builtin(config.tracker.options);
      else {
        try {
          await load(config.tracker.name, config.tracker.options, 'tracker');
        } catch (err) {
          if (config.trackerExplicit || !isEvalHubError(err) || err.code !== 'plugin_not_installed')
            throw err;
          logger.warn(
            `${config.tracker.name} is not installed: tracking is off (set 'tracker' in the config to choose one).`,
          );
          tracker = new NoneTracker();
        }
      }
    }

    for (const p of options.plugins ?? []) {
      const plugin = 'plugin' in p ? p.plugin : p;
      const pluginOptions = 'plugin' in p ? (p.options ?? {}) : {};
      await registerPlugin(
        plugin,
        plugin.name,
        resolvePluginOptions(plugin, { ...optionSources, explicit: pluginOptions }),
        contextFor(plugin.name, plugin.kind),
      );
      loaded.push({ name: plugin.name, kind: plugin.kind });
    }
    for (const p of options.providers ?? []) providers.add(p);
    for (const ref of config.plugins) await load(ref.name, ref.options);
    if (config.discoverPlugins) {
      const taken = new Set([...loaded.map((l) => l.name)]);
      for (const found of discoverPluginPackages(searchFrom)) {
        if (taken.has(found.name) || found.kind !== 'provider') continue;
        await load(found.name, pluginOptionsFor(config, found.name), 'provider');
      }
    }
  } catch (err) {
    for (const c of closers) await c();
    await store?.close();
    throw err;
  }
  if (!tracker)
    throw new PluginError(config.tracker.name, `Plugin '${config.tracker.name}' did not set a tracker.`);
  if (!store) throw new PluginError(config.store.name, `Plugin '${config.store.name}' did not set a store.`);
  if (!runtime)
    throw new PluginError(config.runtime.name, `Plugin '${config.runtime.name}' did not set a runtime.`);

  const container = rootContainer.createChildContainer();
  const settings: ServiceSettings = {
    dataDir: config.dataDir,
    benchmarkConcurrency: config.evaluation.benchmarkConcurrency,
    maxConcurrentEvaluations: config.evaluation.maxConcurrentEvaluations,
    maxQueuedEvaluations: config.evaluation.maxQueuedEvaluations,
    benchmarkTimeoutSeconds: config.evaluation.benchmarkTimeoutSeconds,
    maxAttempts: config.evaluation.maxAttempts,
    leaseMs: config.evaluation.leaseMs,
    ...(config.evaluation.defaultCollection
      ? { defaultCollection: config.evaluation.defaultCollection }
      : {}),
    // On unless configured off; unset, only with the built-in local runtime (docs/model-gateway.md)
    modelGateway: config.gateway.enabled ?? runtime.name === 'local',
    hubVersion: CORE_VERSION,
    ...options.settings,
  };
  const collections = new CollectionCatalog(store, config.collections);
  container.register(StoreToken, { useValue: store });
  container.register(TrackerToken, { useValue: tracker });
  container.register(RuntimeToken, { useValue: runtime });
  container.register(LoggerToken, { useValue: logger });
  container.register(ServiceSettingsToken, { useValue: settings });
  container.register(ProviderRegistry, { useValue: providers });
  container.register(ModelResolver, {
    useValue: new ModelResolver(config.modelServers, new ModelUrlPolicy(config.modelUrlAllowedHosts)),
  });
  container.register(CollectionCatalog, { useValue: collections });
  container.register(EventHub, { useValue: new EventHub() });
  container.registerSingleton(TrackingOutbox);
  const gateway = new ModelGateway({
    servers: config.modelServers,
    cache: { file: join(config.dataDir, 'gateway-cache.db'), maxBytes: config.gateway.cacheMaxBytes },
    cacheByDefault: config.evaluation.cache,
    logger: logger.child({ component: 'model-gateway' }),
  });
  container.register(ModelGateway, { useValue: gateway });
  container.registerSingleton(EvaluationService);
  const service = container.resolve(EvaluationService);

  const finalTracker = tracker;
  const finalStore = store;
  const finalRuntime = runtime;
  let closed = false;
  const hub: Hub = {
    version: CORE_VERSION,
    config,
    container,
    logger,
    service,
    providers,
    collections,
    tracker: finalTracker,
    store: finalStore,
    runtime: finalRuntime,
    plugins: loaded,
    httpHandlers,
    gateway,
    async evaluate(request, submitOptions = {}) {
      const { evaluation } = await service.submit(request, submitOptions);
      return service.wait(evaluation.id, submitOptions.signal);
    },
    async health(): Promise<Health> {
      const components: Record<string, ComponentHealth> = {};
      const s = await finalStore.health();
      components.store = {
        status: s.ok ? 'ok' : 'down',
        name: finalStore.name,
        ...(s.detail ? { detail: s.detail } : {}),
      };
      try {
        components.tracker = await finalTracker.health();
      } catch (err) {
        components.tracker = { status: 'down', name: finalTracker.name, detail: (err as Error).message };
      }
      for (const p of providers.providers()) {
        const id = p.describe().id;
        if (!p.health) {
          components[`provider:${id}`] = { status: 'ok', name: id };
          continue;
        }
        try {
          const h = await p.health();
          components[`provider:${id}`] = {
            status: h.ok ? 'ok' : 'degraded',
            name: id,
            ...(h.detail ? { detail: h.detail } : {}),
          };
        } catch (err) {
          components[`provider:${id}`] = { status: 'degraded', name: id, detail: (err as Error).message };
        }
      }
      // The tracker being down degrades the hub but never makes it unready: the outbox keeps results.
      const status =
        components.store.status === 'down'
          ? 'down'
          : Object.values(components).some((c) => c.status !== 'ok')
            ? 'degraded'
            : 'ok';
      return { status, version: CORE_VERSION, components };
    },
    async close() {
      if (closed) return;
      closed = true;
      await service.close();
      await gateway.close();
      for (const c of closers.reverse()) await c();
      await finalTracker.close?.();
      await finalStore.close();
    },
  };
  if (options.start ?? true) {
    await service.start();
    // Tell the operator at start-up what the tracker's health check sees (an unreachable backend, an
    // artifact store the hub cannot write to); start-up does not wait for the answer.
    if (finalTracker.enabled !== false)
      void finalTracker.health().then(
        (h) => {
          if (h.status !== 'ok')
            logger.warn(
              { tracker: finalTracker.name, status: h.status, detail: h.detail },
              `tracker ${h.status} at start-up: ${h.detail ?? 'no detail'}`,
            );
        },
        () => undefined,
      );
  }
  return hub;
}
