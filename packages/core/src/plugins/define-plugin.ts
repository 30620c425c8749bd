import type { Logger } from '../logging.js';
import type { EvaluationProvider } from '../extension-points/provider.js';
import type { EvaluationStore } from '../extension-points/store.js';
import type { Runtime } from '../extension-points/runtime.js';
import type { Tracker } from '../extension-points/tracker.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorCodeTable } from '../error-codes.js';

/** The plugin API version this core implements. A plugin declaring another one is refused. */
export const PLUGIN_API_VERSION = 1;

/**
 * The brand `definePlugin` stamps on a manifest. A registered symbol, not a class, so a plugin built
 * against another copy of core is still recognised.
 */
export const PLUGIN_BRAND: unique symbol = Symbol.for('evalhub.plugin.v1') as never;

export type PluginKind = 'provider' | 'tracker' | 'store' | 'runtime';

/** An HTTP handler a plugin contributes (e.g. the MLflow proxy); mounted by the server under `prefix`. */
export interface HttpHandler {
  /** Path prefix, e.g. `/mlflow`. */
  prefix: string;
  description: string;
  /**
   * The handler checks its own credentials (e.g. per-attempt worker tokens), so the hub's API-key
   * check is skipped for its requests. Default false: the hub's API keys apply.
   */
  ownAuth?: boolean;
  /** Handle a request whose path starts with `prefix`. The response is fully owned by the handler. */
  handle(
    req: IncomingMessage,
    res: ServerResponse,
    context: { requestId: string; path: string },
  ): Promise<void>;
}

/** Hub facts a plugin may use for its defaults. Plugins never read `process.env`. */
export interface HubInfo {
  version: string;
  /** The hub's state folder (SQLite file, logs, artifacts). */
  dataDir: string;
  /** Folder of the config file (relative paths in options resolve from here). */
  configDir: string;
  /** Root folder that `dataset_path` settings must stay inside. */
  dataRoot: string;
  /** Python interpreter with the project's tools (lm-eval, ragas, mlflow), when configured. */
  python?: string;
}

export interface PluginContext {
  readonly logger: Logger;
  readonly hub: HubInfo;
  addProvider(provider: EvaluationProvider): void;
  setTracker(tracker: Tracker): void;
  setStore(store: EvaluationStore): void;
  setRuntime(runtime: Runtime): void;
  addHttpHandler(handler: HttpHandler): void;
  /** Called when the hub shuts down. */
  onClose(fn: () => Promise<void> | void): void;
}

/**
 * Where the hub reads a plugin's options besides its own config entry. Declared by the plugin, applied
 * by core (resolvePluginOptions), so the plugin itself never reads `process.env`.
 */
export interface PluginSettings {
  /**
   * A top-level config-file section holding the options, e.g. `mlflow` for
   * `mlflow: {tracking_uri: …}`. The hub accepts a section named by a plugin's short name.
   */
  section?: string;
  /**
   * Option → environment variable, e.g. `{tracking_uri: 'MLFLOW_TRACKING_URI'}`. Values are converted
   * by the option's type in `optionsSchema` (booleans from 1/true/yes/on and 0/false/no/off, numbers
   * by value); empty values count as unset.
   */
  env?: Readonly<Record<string, string>>;
}

export interface PluginDefinition<Options = Record<string, unknown>> {
  /** The npm package name, e.g. `@evalhub/provider-ragas`. */
  name: string;
  kind: PluginKind;
  apiVersion: number;
  /** JSON Schema (draft 2020-12) of the options; checked with ajv before `register` runs. */
  optionsSchema?: Record<string, unknown>;
  /** Config-file section and environment variables the options are also read from. */
  settings?: PluginSettings;
  /**
   * The error codes this plugin raises, declared once (defineErrorCodes): registered with the hub's
   * codes before `register` runs, listed in docs/errors.md. A code core or another plugin declares
   * already refuses the plugin.
   */
  errorCodes?: ErrorCodeTable;
  register(ctx: PluginContext, options: Options): void | Promise<void>;
}

export type Plugin<Options = Record<string, unknown>> = PluginDefinition<Options> & {
  readonly [PLUGIN_BRAND]: true;
};

/** Declare a plugin. Registers nothing by itself: the hub's loader calls `register`. */
export function definePlugin<Options = Record<string, unknown>>(
  definition: PluginDefinition<Options>,
): Plugin<Options> {
  return Object.freeze({ ...definition, [PLUGIN_BRAND]: true as const });
}

export function isPlugin(value: unknown): value is Plugin<unknown> {
  return (
    typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[PLUGIN_BRAND] === true
  );
}
