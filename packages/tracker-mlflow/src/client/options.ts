import type { Dispatcher } from 'undici';
import type { KeyPolicy } from './batch.js';
import type { RetryPolicy } from './retry.js';

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

export class MlflowConfigError extends Error {
  override readonly name = 'MlflowConfigError';
}

function truthy(v: string | undefined): boolean {
  return v !== undefined && ['1', 'true', 'yes', 'on'].includes(v.trim().toLowerCase());
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v;
}

export const DEFAULT_TRACKING_URI = 'http://localhost:5000';

/**
 * Maps MLflow's standard environment variables to client options. Called by the configuration
 * layer (the plugin itself only ever receives options, never `process.env`).
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
 */
export function optionsFromEnv(env: Record<string, string | undefined>): MlflowClientOptions {
  const opts: MlflowClientOptions = {
    trackingUri: nonEmpty(env.MLFLOW_TRACKING_URI) ?? DEFAULT_TRACKING_URI,
  };
  const username = nonEmpty(env.MLFLOW_TRACKING_USERNAME);
  const password = env.MLFLOW_TRACKING_PASSWORD;
  if (username !== undefined && password !== undefined) {
    opts.username = username;
    opts.password = password;
  }
  const token = nonEmpty(env.MLFLOW_TRACKING_TOKEN);
  if (token !== undefined) opts.token = token;
  const tls: MlflowTlsOptions = {};
  const ca = nonEmpty(env.MLFLOW_TRACKING_SERVER_CERT_PATH);
  if (ca !== undefined) tls.caCertPath = ca;
  if (truthy(env.MLFLOW_TRACKING_INSECURE_TLS)) tls.insecure = true;
  const clientCert = nonEmpty(env.MLFLOW_TRACKING_CLIENT_CERT_PATH);
  if (clientCert !== undefined) tls.clientCertPath = clientCert;
  if (tls.caCertPath && tls.insecure) {
    throw new MlflowConfigError(
      'MLFLOW_TRACKING_SERVER_CERT_PATH and MLFLOW_TRACKING_INSECURE_TLS cannot both be set: trust a CA or skip verification, not both',
    );
  }
  if (Object.keys(tls).length > 0) opts.tls = tls;
  const workspace = nonEmpty(env.MLFLOW_WORKSPACE);
  if (workspace !== undefined) opts.workspace = workspace;
  const retries = nonEmpty(env.MLFLOW_HTTP_REQUEST_MAX_RETRIES);
  if (retries !== undefined) {
    const n = Number(retries);
    if (!Number.isInteger(n) || n < 0)
      throw new MlflowConfigError(`MLFLOW_HTTP_REQUEST_MAX_RETRIES must be a non-negative integer`);
    opts.retry = { maxAttempts: Math.min(n, 10) + 1 };
  }
  const timeout = nonEmpty(env.MLFLOW_HTTP_REQUEST_TIMEOUT);
  if (timeout !== undefined) {
    const s = Number(timeout);
    if (!(s > 0))
      throw new MlflowConfigError(`MLFLOW_HTTP_REQUEST_TIMEOUT must be a positive number of seconds`);
    opts.timeoutMs = Math.round(s * 1000);
  }
  return opts;
}
