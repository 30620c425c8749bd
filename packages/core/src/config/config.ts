import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { compileSchema, toErrorDetails } from '../contract/validator.js';
import { ConfigError } from '../errors.js';
import type { Collection } from '../types.js';
import { configFileSchema } from './config-schema.js';
import { databaseOptionsFromEnv } from './database-env.js';
import { readModelServers, type ModelServerConfig } from './model-servers.js';
import { DEFAULT_TRACKER, PLUGIN_ALIASES } from './plugin-aliases.js';

export { DEFAULT_TRACKER, PLUGIN_ALIASES } from './plugin-aliases.js';
export type { ModelServerConfig } from './model-servers.js';

export interface PluginRef {
  /** npm package name, or a path (relative to the config file) to a module. */
  name: string;
  options: Record<string, unknown>;
}

export interface HubConfig {
  configFile?: string;
  configDir: string;
  dataDir: string;
  dataRoot: string;
  python?: string;
  logLevel: string;
  server: {
    host: string;
    port: number;
    bodyLimitBytes: number;
    /** Time a client has to send a request's headers, and again its body; then 408 and the connection closes. */
    requestTimeoutMs: number;
    corsOrigins: string[];
    apiKeys: string[];
  };
  store: PluginRef;
  runtime: PluginRef;
  tracker: PluginRef;
  /** False when the tracker is the default rather than chosen in the config or env. */
  trackerExplicit: boolean;
  /** Plugin sections of the config file by name (e.g. `mlflow`), read by the plugins that declare them. */
  sections: Record<string, Record<string, unknown>>;
  /**
   * The environment the config was read from, for the variables plugins declare (`settings.env`).
   * Not enumerable: never serialised or logged with the config.
   */
  readonly env: Readonly<Record<string, string | undefined>>;
  plugins: PluginRef[];
  /** Options for plugins by package name (`plugin_options`), also applied to discovered plugins. */
  pluginOptions: Record<string, Record<string, unknown>>;
  discoverPlugins: boolean;
  modelServers: Record<string, ModelServerConfig>;
  /** Hosts a request's `model.url` may name (`*`: any); see ModelUrlPolicy. */
  modelUrlAllowedHosts: string[];
  /** The model gateway (docs/model-gateway.md). */
  gateway: {
    /** On, off, or unset: on with the built-in local runtime only (a remote runtime's jobs cannot reach loopback). */
    enabled?: boolean;
    /** Size bound of the response cache (`<data_dir>/gateway-cache.db`). */
    cacheMaxBytes: number;
  };
  collections: Collection[];
  evaluation: {
    benchmarkConcurrency: number;
    maxConcurrentEvaluations: number;
    /** Evaluations waiting for a slot; a submission beyond it is refused with 429. */
    maxQueuedEvaluations: number;
    benchmarkTimeoutSeconds: number;
    maxAttempts: number;
    /**
     * Replicas sharing a store with leases (PostgreSQL): how long a replica's claim on an evaluation
     * lasts unless renewed (every third of it). A dead replica's work is taken over after about this long.
     */
    leaseMs: number;
    /** Collection run by a request that names neither benchmarks nor a collection. */
    defaultCollection?: string;
    /** Whether benchmarks use the gateway's response cache when their `config.cache` does not say. */
    cache: boolean;
  };
}

export const CONFIG_FILE_NAMES = ['evalhub.config.json', 'evalhub.config.yaml', 'evalhub.config.yml'];

export interface LoadConfigOptions {
  /** Explicit config file; otherwise EVALHUB_CONFIG, then evalhub.config.{json,yaml,yml} in cwd. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Values that win over file and env (e.g. CLI flags), in the file's snake_case shape. */
  overrides?: Record<string, unknown>;
}

type Raw = Record<string, unknown>;

function readConfigFile(file: string): Raw {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`Cannot read config file ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const parsed: unknown = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
    if (parsed === null || parsed === undefined) return {};
    if (typeof parsed !== 'object' || Array.isArray(parsed))
      throw new Error('the top level must be an object');
    return parsed as Raw;
  } catch (err) {
    throw new ConfigError(
      `Config file ${file} is not valid ${/\.ya?ml$/i.test(file) ? 'YAML' : 'JSON'}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

function envNumber(env: NodeJS.ProcessEnv, key: string): number | undefined {
  const v = env[key];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new ConfigError(`${key}='${v}' is not a number.`);
  return n;
}

function envBool(env: NodeJS.ProcessEnv, key: string): boolean | undefined {
  const v = env[key];
  if (v === undefined || v === '') return undefined;
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off)$/i.test(v)) return false;
  throw new ConfigError(`${key}='${v}' must be true or false.`);
}

function pluginRef(value: unknown, defaultsFrom: Raw = {}): PluginRef {
  if (typeof value === 'string') return { name: value, options: { ...defaultsFrom } };
  const v = value as { name?: string; kind?: string; options?: Raw };
  return { name: String(v.name ?? v.kind), options: { ...defaultsFrom, ...(v.options ?? {}) } };
}

/**
 * Reads the config file and the environment, validates them and returns the normalised config.
 * The one place where settings are read: plugins receive options from here, never process.env.
 * Precedence: overrides > environment > config file > defaults.
 */
export function loadConfig(options: LoadConfigOptions = {}): HubConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  let file = options.file ?? env.EVALHUB_CONFIG;
  if (file) {
    file = resolve(cwd, file);
    if (!existsSync(file)) throw new ConfigError(`Config file ${file} does not exist.`);
  } else {
    file = CONFIG_FILE_NAMES.map((n) => join(cwd, n)).find((f) => existsSync(f));
  }
  const raw: Raw = file ? readConfigFile(file) : {};
  for (const [k, v] of Object.entries(options.overrides ?? {})) if (v !== undefined) raw[k] = v;

  const validate = compileSchema(configFileSchema);
  if (!validate(raw)) {
    const details = toErrorDetails(validate.errors);
    throw new ConfigError(
      `Invalid config${file ? ` in ${file}` : ''}: ${details.map((d) => `${d.pointer || '(root)'} ${d.message}`).join('; ')}`,
      { details },
    );
  }

  const configDir = file ? dirname(file) : cwd;
  const fromConfigDir = (p: string): string => (isAbsolute(p) ? p : resolve(configDir, p));
  const server = (raw.server ?? {}) as Raw;
  const evaluation = (raw.evaluation ?? {}) as Raw;
  const gateway = (raw.gateway ?? {}) as Raw;
  const gatewayEnabled = envBool(env, 'EVALHUB_GATEWAY') ?? (gateway.enabled as boolean | undefined);
  // Plugin sections (e.g. `mlflow:`): passed on untouched, read by the plugin that declares one.
  const sections: Record<string, Raw> = {};
  for (const alias of Object.keys(PLUGIN_ALIASES))
    if (raw[alias] !== undefined) sections[alias] = raw[alias] as Raw;

  const trackerRaw = env.EVALHUB_TRACKER ?? raw.tracker ?? DEFAULT_TRACKER;
  const tracker = pluginRef(trackerRaw);
  tracker.name = PLUGIN_ALIASES[tracker.name] ?? tracker.name;
  if (tracker.name === 'jsonl') {
    tracker.options = {
      path: join(fromConfigDir(String(raw.data_dir ?? '.evalhub')), 'tracking.jsonl'),
      ...tracker.options,
    };
  }

  const modelServers = readModelServers(raw.model_servers, env);
  const allowedHostsEnv = env.EVALHUB_MODEL_URL_ALLOWED_HOSTS;
  const modelUrlAllowedHosts =
    allowedHostsEnv !== undefined
      ? allowedHostsEnv
          .split(',')
          .map((h) => h.trim())
          .filter(Boolean)
      : ((raw.model_url_allowed_hosts as string[] | undefined) ?? ['*']);

  const plugins: PluginRef[] = ((raw.plugins ?? []) as unknown[]).map((p) => pluginRef(p));
  if (env.EVALHUB_PLUGINS) {
    for (const name of env.EVALHUB_PLUGINS.split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      if (!plugins.some((p) => p.name === name)) plugins.push({ name, options: {} });
    }
  }
  for (const p of plugins) p.name = PLUGIN_ALIASES[p.name] ?? p.name;
  const pluginOptions = (raw.plugin_options ?? {}) as Record<string, Raw>;

  const apiKeys = [...((server.api_keys ?? []) as string[])];
  if (env.EVALHUB_API_KEYS)
    apiKeys.push(
      ...env.EVALHUB_API_KEYS.split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    );
  const apiKeysFile = env.EVALHUB_API_KEYS_FILE ?? (server.api_keys_file as string | undefined);
  if (apiKeysFile) {
    try {
      apiKeys.push(
        ...readFileSync(fromConfigDir(apiKeysFile), 'utf8')
          .split('\n')
          .map((s) => s.trim())
          .filter((s) => s && !s.startsWith('#')),
      );
    } catch (err) {
      throw new ConfigError(`Cannot read the API keys file ${apiKeysFile}: ${(err as Error).message}`);
    }
  }

  const dataDir = fromConfigDir(env.EVALHUB_DATA_DIR ?? String(raw.data_dir ?? '.evalhub'));
  const storeRef = pluginRef(env.EVALHUB_STORE ?? raw.store ?? 'sqlite');
  storeRef.name = PLUGIN_ALIASES[storeRef.name] ?? storeRef.name;
  if (storeRef.name === PLUGIN_ALIASES.postgres)
    storeRef.options = { ...storeRef.options, ...databaseOptionsFromEnv(env) };
  if (storeRef.name === 'sqlite' && storeRef.options.path === undefined)
    storeRef.options.path = join(dataDir, 'evalhub.db');
  else if (storeRef.name === 'sqlite') storeRef.options.path = fromConfigDir(String(storeRef.options.path));

  const runtimeRef = pluginRef(env.EVALHUB_RUNTIME ?? raw.runtime ?? 'local');
  runtimeRef.name = PLUGIN_ALIASES[runtimeRef.name] ?? runtimeRef.name;

  const python = env.EVALHUB_PYTHON ?? (raw.python as string | undefined);
  const collections = ((raw.collections ?? []) as Raw[]).map(
    (c) => ({ description: '', ...c, builtin: true }) as unknown as Collection,
  );

  const config: Omit<HubConfig, 'env'> & Partial<Pick<HubConfig, 'env'>> = {
    ...(file ? { configFile: file } : {}),
    configDir,
    dataDir,
    dataRoot: fromConfigDir(env.EVALHUB_DATA_ROOT ?? String(raw.data_root ?? '.')),
    ...(python ? { python: python.includes('/') ? fromConfigDir(python) : python } : {}),
    logLevel: env.EVALHUB_LOG_LEVEL ?? String(raw.log_level ?? 'info'),
    server: {
      host: env.EVALHUB_HOST ?? String(server.host ?? '0.0.0.0'),
      port: envNumber(env, 'EVALHUB_PORT') ?? Number(server.port ?? 8000),
      bodyLimitBytes:
        envNumber(env, 'EVALHUB_BODY_LIMIT_BYTES') ?? Number(server.body_limit_bytes ?? 1024 * 1024),
      requestTimeoutMs:
        envNumber(env, 'EVALHUB_REQUEST_TIMEOUT_MS') ?? Number(server.request_timeout_ms ?? 30_000),
      corsOrigins: env.EVALHUB_CORS_ORIGINS
        ? env.EVALHUB_CORS_ORIGINS.split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : ((server.cors_origins ?? []) as string[]),
      apiKeys,
    },
    store: storeRef,
    runtime: runtimeRef,
    tracker,
    trackerExplicit: (env.EVALHUB_TRACKER ?? raw.tracker) !== undefined,
    sections,
    plugins: plugins.map((p) => ({
      name: p.name,
      options: { ...(pluginOptions[p.name] ?? {}), ...p.options },
    })),
    pluginOptions,
    discoverPlugins:
      envBool(env, 'EVALHUB_DISCOVER_PLUGINS') ?? (raw.discover_plugins as boolean | undefined) ?? true,
    modelServers,
    modelUrlAllowedHosts,
    gateway: {
      ...(gatewayEnabled !== undefined ? { enabled: gatewayEnabled } : {}),
      cacheMaxBytes: Number(gateway.cache_max_bytes ?? 1024 ** 3),
    },
    collections,
    evaluation: {
      benchmarkConcurrency:
        envNumber(env, 'EVALHUB_BENCHMARK_CONCURRENCY') ?? Number(evaluation.benchmark_concurrency ?? 2),
      maxConcurrentEvaluations:
        envNumber(env, 'EVALHUB_MAX_CONCURRENT_EVALUATIONS') ??
        Number(evaluation.max_concurrent_evaluations ?? 4),
      maxQueuedEvaluations:
        envNumber(env, 'EVALHUB_MAX_QUEUED_EVALUATIONS') ??
        Number(evaluation.max_queued_evaluations ?? 10_000),
      benchmarkTimeoutSeconds:
        envNumber(env, 'EVALHUB_BENCHMARK_TIMEOUT_SECONDS') ??
        Number(evaluation.benchmark_timeout_seconds ?? 24 * 3600),
      maxAttempts: Number(evaluation.max_attempts ?? 3),
      leaseMs: envNumber(env, 'EVALHUB_LEASE_MS') ?? Number(evaluation.lease_ms ?? 15_000),
      ...((env.EVALHUB_DEFAULT_COLLECTION ?? evaluation.default_collection)
        ? { defaultCollection: String(env.EVALHUB_DEFAULT_COLLECTION ?? evaluation.default_collection) }
        : {}),
      cache: envBool(env, 'EVALHUB_CACHE') ?? Boolean(evaluation.cache ?? false),
    },
  };
  if (
    config.evaluation.benchmarkConcurrency < 1 ||
    config.evaluation.maxConcurrentEvaluations < 1 ||
    config.evaluation.maxQueuedEvaluations < 1
  ) {
    throw new ConfigError(
      'evaluation.benchmark_concurrency, evaluation.max_concurrent_evaluations and evaluation.max_queued_evaluations must be at least 1.',
    );
  }
  if (!Number.isInteger(config.evaluation.leaseMs) || config.evaluation.leaseMs < 500)
    throw new ConfigError(
      `evaluation.lease_ms (EVALHUB_LEASE_MS) must be a whole number of milliseconds, at least 500 (got ${config.evaluation.leaseMs}).`,
    );
  Object.defineProperty(config, 'env', { value: Object.freeze({ ...env }), enumerable: false });
  return Object.freeze(config) as HubConfig;
}

/** Options for a plugin: its `plugins` entry, else `plugin_options[name]` (how discovered plugins get theirs). */
export function pluginOptionsFor(config: HubConfig, name: string): Record<string, unknown> {
  return config.plugins.find((p) => p.name === name)?.options ?? config.pluginOptions[name] ?? {};
}
