import type { Dispatcher } from 'undici';
import type { KeyPolicy } from './batch.js';
import type { RetryPolicy } from './retry.js';
import { ConfigError, hasErrorCode, resolvePluginOptions } from '@evalhub/core';
import { clientOptionsFrom, mlflowSettingsManifest, type MlflowTrackerOptions } from '../tracker/options.js';

/** Minimal structured logger (pino-compatible subset). The client never logs bodies or credentials. */
export interface ClientLogger {
  debug(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface MlflowTlsOptions {
  /** PEM file of CA certificates to trust (MLFLOW_TRACKING_SERVER_CERT_PATH). */
  caCertPath?: string;
  /** Skip server certificate verification (MLFLOW_TRACKING_INSECURE_TLS). Not together with caCertPath. */
  insecure?: boolean;
  /** Client certificate for mTLS (MLFLOW_TRACKING_CLIENT_CERT_PATH): a PEM holding the certificate and its key. */
  clientCertPath?: string;
}

export interface MlflowClientOptions {
  /** Base URL of the tracking server, optionally with a path prefix (`https://host/mlflow`). */
  trackingUri: string;
  /** Basic auth (MLFLOW_TRACKING_USERNAME/PASSWORD). Wins over `token` when both are set, like MLflow's client. */
  username?: string;
  password?: string;
  /** Bearer token (MLFLOW_TRACKING_TOKEN). */
  token?: string;
  tls?: MlflowTlsOptions;
  /** Workspace name sent as `X-MLFLOW-WORKSPACE` — only when set (servers without workspaces reject the header). */
  workspace?: string;
  /** Retry policy for transient failures (connection errors, 408, 429, 5xx). */
  retry?: Partial<RetryPolicy>;
  /** Requests in flight at once, at most (default 4, the worker count of a default MLflow server). */
  maxConcurrentRequests?: number;
  /** Per-request timeout in ms for headers and body (default 30 000). */
  timeoutMs?: number;
  /** `sanitize` (default) rewrites invalid metric/param/tag keys; `reject` throws instead. */
  keyPolicy?: KeyPolicy;
  userAgent?: string;
  logger?: ClientLogger;
  /** Advanced: an undici dispatcher to use instead of the client's own Agent (TLS options then ignored). */
  dispatcher?: Dispatcher;
}

export { DEFAULT_TRACKING_URI } from './defaults.js';

/**
 * Maps MLflow's standard environment variables to client options, with the same mapping and rules
 * the hub applies to the plugin (the plugin manifest's `settings.env`, applied by core's
 * resolvePluginOptions) — one mapping, not two.
 *
 * | variable | option |
 * |---|---|
 * | MLFLOW_TRACKING_URI | trackingUri (default http://localhost:5000) |
 * | MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD | username / password (Basic) |
 * | MLFLOW_TRACKING_TOKEN | token (Bearer) |
 * | MLFLOW_TRACKING_SERVER_CERT_PATH | tls.caCertPath |
 * | MLFLOW_TRACKING_INSECURE_TLS | tls.insecure |
 * | MLFLOW_TRACKING_CLIENT_CERT_PATH | tls.clientCertPath |
 * | MLFLOW_WORKSPACE | workspace |
 * | MLFLOW_HTTP_REQUEST_MAX_RETRIES | retry.maxAttempts = value + 1 |
 * | MLFLOW_HTTP_REQUEST_TIMEOUT (seconds) | timeoutMs |
 *
 * Throws core's ConfigError (`config_invalid`) naming the variable that is wrong.
 */
export function optionsFromEnv(env: Record<string, string | undefined>): MlflowClientOptions {
  let o: MlflowTrackerOptions;
  try {
    o = resolvePluginOptions(mlflowSettingsManifest, { env }) as MlflowTrackerOptions;
  } catch (err) {
    if (hasErrorCode(err, 'config_invalid')) throw err;
    throw new ConfigError((err as Error).message, { cause: err });
  }
  if (o.server_cert_path && o.insecure_tls) {
    throw new ConfigError(
      'MLFLOW_TRACKING_SERVER_CERT_PATH and MLFLOW_TRACKING_INSECURE_TLS cannot both be set: trust a CA or skip verification, not both',
    );
  }
  return clientOptionsFrom(o);
}
