import type { PluginSettings } from '@evalhub/core';
import { DEFAULT_TRACKING_URI } from '../client/defaults.js';
import type { MlflowClientOptions, ClientLogger } from '../client/options.js';

/**
 * Options of the MLflow tracker plugin, in the config file's snake_case shape. The plugin declares
 * (MLFLOW_SETTINGS) that they are also read from the config file's `mlflow:` section and from the
 * environment (`MLFLOW_TRACKING_URI`, `MLFLOW_EXPERIMENT_PREFIX`, MLflow's client variables); core
 * applies that declaration.
 */
export interface MlflowTrackerOptions {
  /** MLflow server URL, may carry a path prefix. Default `http://localhost:5000`. */
  tracking_uri?: string;
  /** Experiments are named `{experiment_prefix}_{experiment.name}`. Default `eval-hub`. */
  experiment_prefix?: string;
  username?: string;
  password?: string;
  token?: string;
  server_cert_path?: string;
  insecure_tls?: boolean;
  client_cert_path?: string;
  workspace?: string;
  /** Retries per MLflow call after the first attempt (MLFLOW_HTTP_REQUEST_MAX_RETRIES). Default 4. */
  http_request_max_retries?: number;
  /** Per-request timeout in seconds (MLFLOW_HTTP_REQUEST_TIMEOUT). Default 30. */
  http_request_timeout?: number;
  /** First backoff delay between retries, in ms (doubles per retry, full jitter). Default 500. */
  http_retry_base_delay_ms?: number;
  /** Cap of one backoff delay, in ms. Default 10 000. */
  http_retry_max_delay_ms?: number;
  /**
   * MLflow requests in flight at once, at most; also how many evaluations core's outbox delivers at
   * once. Default 4, the worker count of a default `mlflow server`; raise it for a bigger server.
   */
  max_concurrent_requests?: number;
  /** Base URL of the MLflow UI for links, when it differs from tracking_uri. */
  ui_url?: string;
  /** Restore a soft-deleted experiment holding the name instead of failing. Default false. */
  restore_deleted_experiments?: boolean;
  /** Mount the read-only `/mlflow` proxy. Default true. */
  proxy_enabled?: boolean;
  /** Let the proxy forward MLflow write calls too. Default false. */
  proxy_allow_writes?: boolean;
}

const str = { type: 'string', minLength: 1 } as const;

/** JSON Schema of the options (checked by core's plugin loader before `register`). */
export const optionsSchema: Record<string, unknown> = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  additionalProperties: false,
  properties: {
    tracking_uri: { type: 'string', pattern: '^https?://', default: DEFAULT_TRACKING_URI },
    experiment_prefix: { type: 'string', maxLength: 200, default: 'eval-hub' },
    username: str,
    password: { type: 'string' },
    token: str,
    server_cert_path: str,
    insecure_tls: { type: 'boolean' },
    client_cert_path: str,
    workspace: str,
    http_request_max_retries: { type: 'integer', minimum: 0, maximum: 10 },
    http_request_timeout: { type: 'number', exclusiveMinimum: 0 },
    http_retry_base_delay_ms: { type: 'integer', minimum: 0 },
    http_retry_max_delay_ms: { type: 'integer', minimum: 0 },
    max_concurrent_requests: { type: 'integer', minimum: 1, maximum: 256 },
    ui_url: { type: 'string', pattern: '^https?://' },
    restore_deleted_experiments: { type: 'boolean' },
    proxy_enabled: { type: 'boolean' },
    proxy_allow_writes: { type: 'boolean' },
  },
  not: { required: ['server_cert_path', 'insecure_tls'], properties: { insecure_tls: { const: true } } },
};

export const DEFAULT_EXPERIMENT_PREFIX = 'eval-hub';

/**
 * Where the hub reads the options besides the plugin's own config entry: the `mlflow:` section of
 * the config file and these environment variables (the spec's two, MLflow's own client variables,
 * and the UI base for links). Precedence: config entry > environment > section > schema default.
 */
export const MLFLOW_SETTINGS: PluginSettings = {
  section: 'mlflow',
  env: {
    tracking_uri: 'MLFLOW_TRACKING_URI',
    experiment_prefix: 'MLFLOW_EXPERIMENT_PREFIX',
    username: 'MLFLOW_TRACKING_USERNAME',
    password: 'MLFLOW_TRACKING_PASSWORD',
    token: 'MLFLOW_TRACKING_TOKEN',
    server_cert_path: 'MLFLOW_TRACKING_SERVER_CERT_PATH',
    insecure_tls: 'MLFLOW_TRACKING_INSECURE_TLS',
    client_cert_path: 'MLFLOW_TRACKING_CLIENT_CERT_PATH',
    workspace: 'MLFLOW_WORKSPACE',
    http_request_max_retries: 'MLFLOW_HTTP_REQUEST_MAX_RETRIES',
    http_request_timeout: 'MLFLOW_HTTP_REQUEST_TIMEOUT',
    ui_url: 'EVALHUB_MLFLOW_UI_URL',
  },
};

/** The parts of the plugin manifest that say where options come from (used by optionsFromEnv). */
export const mlflowSettingsManifest = { optionsSchema, settings: MLFLOW_SETTINGS };

/** Maps the plugin's snake_case options to the REST client's options. */
export function clientOptionsFrom(
  o: MlflowTrackerOptions,
  extra: { userAgent?: string; logger?: ClientLogger } = {},
): MlflowClientOptions {
  const opts: MlflowClientOptions = { trackingUri: o.tracking_uri ?? DEFAULT_TRACKING_URI };
  if (o.username !== undefined && o.password !== undefined) {
    opts.username = o.username;
    opts.password = o.password;
  }
  if (o.token !== undefined) opts.token = o.token;
  const tls: NonNullable<MlflowClientOptions['tls']> = {};
  if (o.server_cert_path) tls.caCertPath = o.server_cert_path;
  if (o.insecure_tls) tls.insecure = true;
  if (o.client_cert_path) tls.clientCertPath = o.client_cert_path;
  if (Object.keys(tls).length) opts.tls = tls;
  if (o.workspace) opts.workspace = o.workspace;
  const retry: NonNullable<MlflowClientOptions['retry']> = {};
  if (o.http_request_max_retries !== undefined)
    retry.maxAttempts = Math.min(10, o.http_request_max_retries) + 1;
  if (o.http_retry_base_delay_ms !== undefined) retry.baseDelayMs = o.http_retry_base_delay_ms;
  if (o.http_retry_max_delay_ms !== undefined) retry.maxDelayMs = o.http_retry_max_delay_ms;
  if (Object.keys(retry).length) opts.retry = retry;
  if (o.max_concurrent_requests !== undefined) opts.maxConcurrentRequests = o.max_concurrent_requests;
  if (o.http_request_timeout !== undefined) opts.timeoutMs = Math.round(o.http_request_timeout * 1000);
  if (extra.userAgent) opts.userAgent = extra.userAgent;
  if (extra.logger) opts.logger = extra.logger;
  return opts;
}
