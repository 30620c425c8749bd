import { readFileSync } from 'node:fs';
import { Agent, request, type Dispatcher } from 'undici';
import { MlflowError, failureReason } from './errors.js';
import { RequestGate } from './gate.js';
import {
  DEFAULT_RETRY_POLICY,
  isRetryableNetworkError,
  isRetryableStatus,
  nextDelay,
  parseRetryAfter,
  type RetryPolicy,
} from './retry.js';
import type { ClientLogger, MlflowClientOptions } from './options.js';

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface CallOptions {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Absolute URL. */
  url: string;
  /** JSON body (sent as application/json). */
  json?: unknown;
  /** Raw body (artifacts). */
  body?: Buffer | Uint8Array | string;
  contentType?: string;
  /** Transport-level retries (default true). Off for non-idempotent calls such as runs/create. */
  retry?: boolean;
}

const MAX_ERROR_TEXT = 1_000;

/** undici transport: auth headers, TLS, timeouts, error decoding and the retry loop. */
export class HttpTransport {
  readonly baseUrl: string;
  readonly policy: RetryPolicy;
  /** The connection pool (with the configured TLS settings); shared with the `/mlflow` proxy. */
  readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  private readonly logger: ClientLogger | undefined;
  /** Bounds the requests in flight and pauses them all after a transient failure. */
  readonly gate: RequestGate;
  /** Total HTTP requests sent (attempts included); useful for benchmarks. */
  requestCount = 0;

  constructor(
    opts: MlflowClientOptions,
    private readonly sleep: (ms: number) => Promise<void> = defaultSleep,
  ) {
    const u = new URL(opts.trackingUri);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') {
      throw new TypeError(`MLflow tracking URI must be http(s), got ${u.protocol}`);
    }
    // Credentials embedded in the URI become Basic auth and are removed from every URL we build.
    let username = opts.username;
    let password = opts.password;
    if (u.username && username === undefined) {
      username = decodeURIComponent(u.username);
      password = decodeURIComponent(u.password);
    }
    u.username = '';
    u.password = '';
    u.search = '';
    u.hash = '';
    this.baseUrl = u.toString().replace(/\/+$/, '');
    this.policy = { ...DEFAULT_RETRY_POLICY, ...(opts.retry ?? {}) };
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.logger = opts.logger;
    this.gate = new RequestGate(
      Math.max(1, Math.floor(opts.maxConcurrentRequests ?? DEFAULT_MAX_CONCURRENT_REQUESTS)),
    );
    this.headers = { 'user-agent': opts.userAgent ?? 'evalhub-tracker-mlflow' };
    if (username !== undefined && password !== undefined) {
      this.headers.authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    } else if (opts.token !== undefined) {
      this.headers.authorization = `Bearer ${opts.token}`;
    }
    if (opts.workspace) this.headers['x-mlflow-workspace'] = opts.workspace;
    if (opts.dispatcher) {
      this.dispatcher = opts.dispatcher;
      this.ownsDispatcher = false;
    } else {
      const tls = opts.tls ?? {};
      if (tls.caCertPath && tls.insecure) {
        throw new TypeError('tls.caCertPath and tls.insecure cannot both be set');
      }
      const connect: Record<string, unknown> = {};
      if (tls.caCertPath) connect.ca = readFileSync(tls.caCertPath);
      if (tls.insecure) connect.rejectUnauthorized = false;
      if (tls.clientCertPath) {
        const pem = readFileSync(tls.clientCertPath);
        connect.cert = pem;
        connect.key = pem;
      }
      this.dispatcher = new Agent({ connect, keepAliveTimeout: 4_000 });
      this.ownsDispatcher = true;
    }
  }

  /** Headers carrying the configured credentials and workspace (for the proxy). Never log them. */
  credentialHeaders(): Record<string, string> {
    const out: Record<string, string> = {};
    if (this.headers.authorization) out.authorization = this.headers.authorization;
    if (this.headers['x-mlflow-workspace']) out['x-mlflow-workspace'] = this.headers['x-mlflow-workspace'];
    return out;
  }

  /** `<tracking uri>/<path>` where path starts with `/`. */
  url(path: string, query?: Record<string, string | number | boolean | string[] | undefined>): string {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v === undefined) continue;
      if (Array.isArray(v)) for (const item of v) qs.append(k, item);
      else qs.append(k, String(v));
    }
    const s = qs.toString();
    return `${this.baseUrl}${path}${s ? `?${s}` : ''}`;
  }

  async call(opts: CallOptions): Promise<HttpResponse> {
    const endpoint = new URL(opts.url).pathname;
    const headers: Record<string, string> = { ...this.headers };
    let body: Buffer | Uint8Array | string | undefined;
    if (opts.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.json);
    } else if (opts.body !== undefined) {
      headers['content-type'] = opts.contentType ?? 'application/octet-stream';
      body = opts.body;
    }
    const maxAttempts = opts.retry === false ? 1 : Math.max(1, this.policy.maxAttempts);
    for (let attempt = 1; ; attempt++) {
      let res: Dispatcher.ResponseData;
      let buf: Buffer;
      // A retry has waited out its own delay already; a first attempt waits for any pause.
      const release = await this.gate.acquire(attempt > 1);
      try {
        this.requestCount++;
        res = await request(opts.url, {
          method: opts.method,
          headers,
          body,
          dispatcher: this.dispatcher,
          headersTimeout: this.timeoutMs,
          bodyTimeout: this.timeoutMs,
        });
        buf = Buffer.from(await res.body.arrayBuffer());
      } catch (err) {
        release();
        const retryable = isRetryableNetworkError(err);
        const error = new MlflowError({
          message: `MLflow ${opts.method} ${endpoint} failed: ${describeNetworkError(err, this.timeoutMs)}`,
          endpoint,
          method: opts.method,
          retryable,
          cause: err,
        });
        if (retryable && attempt < maxAttempts) {
          await this.backoff(attempt, undefined, error);
          continue;
        }
        if (retryable) this.gate.failed(0);
        throw error;
      }
      release();
      if (res.statusCode < 400) {
        this.gate.succeeded();
        return { status: res.statusCode, headers: res.headers, body: buf };
      }
      const error = decodeHttpError(opts.method, endpoint, res.statusCode, buf);
      if (!error.retryable) this.gate.succeeded();
      if (error.retryable && attempt < maxAttempts) {
        const retryAfter = parseRetryAfter(res.headers['retry-after']);
        if (await this.backoff(attempt, retryAfter, error)) continue;
      }
      throw error;
    }
  }

  async json<T = Record<string, unknown>>(opts: CallOptions): Promise<T> {
    const res = await this.call(opts);
    const text = res.body.toString('utf8');
    if (text.trim() === '') return {} as T;
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new MlflowError({
        message: `MLflow ${opts.method} ${new URL(opts.url).pathname} answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`,
        endpoint: new URL(opts.url).pathname,
        method: opts.method,
        status: res.status,
        cause: err,
      });
    }
  }

  /**
   * Waits before the next attempt, and pauses every other new request of this client as long;
   * false when the server asks for longer than the policy allows. The log line says why the
   * request failed: `reason` (`status`, `timeout`, `reset`, `refused`, `network`) and MLflow's answer.
   */
  async backoff(attempt: number, retryAfterMs: number | undefined, error: MlflowError): Promise<boolean> {
    const delay = nextDelay(attempt, this.policy, retryAfterMs);
    if (delay === undefined) {
      this.gate.failed(this.policy.maxRetryAfterMs);
      return false;
    }
    this.gate.failed(delay);
    this.logger?.warn(
      {
        endpoint: error.endpoint,
        method: error.method,
        reason: failureReason(error),
        status: error.status,
        errorCode: error.errorCode,
        err: error.message,
        attempt,
        delayMs: delay,
        inFlightLimit: this.gate.currentLimit,
      },
      'mlflow request failed, retrying',
    );
    await this.sleep(delay);
    return true;
  }

  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((ok) => setTimeout(ok, ms));
}

/** Default bound on requests in flight: MLflow's own server runs 4 workers by default. */
const DEFAULT_MAX_CONCURRENT_REQUESTS = 4;

function describeNetworkError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const causeCode = (err.cause as { code?: unknown } | undefined)?.code;
    const c = typeof code === 'string' ? code : typeof causeCode === 'string' ? causeCode : undefined;
    if (c === 'UND_ERR_HEADERS_TIMEOUT' || c === 'UND_ERR_BODY_TIMEOUT')
      return `${c} (no complete answer within ${timeoutMs / 1000} s; the server is overloaded or stuck)`;
    return c ? `${c} (${err.message})` : err.message;
  }
  return String(err);
}

/** Decodes an error answer: MLflow JSON `{error_code, message}`, FastAPI `{detail}`, or raw text. */
function decodeHttpError(method: string, endpoint: string, status: number, body: Buffer): MlflowError {
  const text = body.toString('utf8');
  let errorCode: string | undefined;
  let serverMessage: string | undefined;
  try {
    const parsed = JSON.parse(text) as { error_code?: unknown; message?: unknown; detail?: unknown };
    if (typeof parsed.error_code === 'string') errorCode = parsed.error_code;
    if (typeof parsed.message === 'string') serverMessage = parsed.message;
    else if (parsed.detail !== undefined)
      serverMessage = typeof parsed.detail === 'string' ? parsed.detail : JSON.stringify(parsed.detail);
  } catch {
    // not JSON: keep the raw text
  }
  serverMessage ??= text.trim();
  if (serverMessage.length > MAX_ERROR_TEXT) serverMessage = `${serverMessage.slice(0, MAX_ERROR_TEXT)}…`;
  const what = errorCode ? `${status} ${errorCode}` : `${status}`;
  return new MlflowError({
    message: `MLflow ${method} ${endpoint} failed with HTTP ${what}${serverMessage ? `: ${serverMessage}` : ''}`,
    endpoint,
    method,
    status,
    errorCode,
    serverMessage,
    retryable: isRetryableStatus(status),
  });
}
