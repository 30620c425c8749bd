import { redactUrls } from './redaction.js';

/** One error hierarchy for the whole hub. `code` is stable and documented in docs/errors.md. */

/** A field-level problem, addressed by a JSON pointer into the request body. */
export interface ErrorDetail {
  pointer: string;
  message: string;
}

export interface EvalHubErrorOptions {
  details?: ErrorDetail[];
  cause?: unknown;
  /** Response headers the server sends with this error (e.g. `Allow`, `Retry-After`). */
  headers?: Record<string, string>;
}

export class EvalHubError extends Error {
  /** HTTP status the server maps this error to. */
  readonly status: number = 500;
  readonly details: ErrorDetail[];
  /** Response headers the server sends with this error. */
  readonly headers: Record<string, string>;

  constructor(
    readonly code: string,
    message: string,
    options: EvalHubErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.details = options.details ?? [];
    this.headers = options.headers ?? {};
  }

  toJSON(): { code: string; message: string; details: ErrorDetail[] } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

/** The client sent something the hub cannot accept (HTTP 400). */
export class ValidationError extends EvalHubError {
  override readonly status = 400;
  constructor(
    message: string,
    details: ErrorDetail[] = [],
    options: { code?: string; cause?: unknown } = {},
  ) {
    super(options.code ?? 'validation_failed', message, { details, cause: options.cause });
  }
}

export class NotFoundError extends EvalHubError {
  override readonly status = 404;
  constructor(what: string, id: string, hint?: string) {
    super(
      `${what.toLowerCase().replace(/\s+/g, '_')}_not_found`,
      `${what} '${id}' does not exist.${hint ? ` ${hint}` : ''}`,
    );
  }
}

/** The request conflicts with the current state (HTTP 409). */
export class ConflictError extends EvalHubError {
  override readonly status = 409;
  constructor(code: string, message: string, options: EvalHubErrorOptions = {}) {
    super(code, message, options);
  }
}

/**
 * The hub has as many evaluations waiting as it is configured to hold (HTTP 429 with Retry-After).
 * Nothing is stored; the same request (and Idempotency-Key) can be sent again later.
 */
export class QueueFullError extends EvalHubError {
  override readonly status = 429;
  constructor(
    readonly limit: number,
    readonly retryAfterSeconds: number,
  ) {
    super(
      'queue_full',
      `The hub already has ${limit} evaluations waiting to run (evaluation.max_queued_evaluations); submit again in ${retryAfterSeconds} s.`,
      { headers: { 'Retry-After': String(retryAfterSeconds) } },
    );
  }
}

/** The hub's own configuration is invalid; raised at start-up. */
export class ConfigError extends EvalHubError {
  constructor(message: string, options: EvalHubErrorOptions = {}) {
    super('config_invalid', message, options);
  }
}

/** A plugin is missing, malformed, incompatible or was given bad options; raised at start-up. */
export class PluginError extends EvalHubError {
  constructor(
    readonly plugin: string,
    message: string,
    options: EvalHubErrorOptions & { code?: 'plugin_invalid' | 'plugin_not_installed' } = {},
  ) {
    super(options.code ?? 'plugin_invalid', message, options);
  }
}

/** A dependency (MLflow, a model server) failed or could not be reached (HTTP 502). */
export class UpstreamError extends EvalHubError {
  override readonly status = 502;
  constructor(
    readonly upstream: string,
    message: string,
    options: EvalHubErrorOptions & { code?: string } = {},
  ) {
    super(options.code ?? 'upstream_failed', message, options);
  }
}

/**
 * A write of a leased evaluation carried a fencing token that is no longer the evaluation's (another
 * replica claimed it, or the lease expired): the writer lost the lease and must stop working on it.
 */
export class LeaseLostError extends ConflictError {
  constructor(
    readonly evaluationId: string,
    readonly token: number,
    reason: string,
  ) {
    super(
      'lease_lost',
      `This replica no longer holds the lease of evaluation '${evaluationId}' (token ${token}): ${reason}. Its write was rejected; another replica resumes the work.`,
    );
  }
}

/** The store's database cannot be reached right now (HTTP 503 with Retry-After); nothing was written. */
export class StoreUnavailableError extends EvalHubError {
  override readonly status = 503;
  constructor(message: string, options: EvalHubErrorOptions = {}) {
    super('store_unavailable', message, { headers: { 'Retry-After': '5' }, ...options });
  }
}

/** A benchmark run failed inside a provider; recorded on the benchmark, never thrown to clients. */
export class BenchmarkFailedError extends EvalHubError {
  constructor(message: string, options: EvalHubErrorOptions & { code?: string } = {}) {
    super(options.code ?? 'benchmark_failed', message, options);
  }
}

export function isEvalHubError(err: unknown): err is EvalHubError {
  return (
    err instanceof EvalHubError ||
    (typeof err === 'object' && err !== null && 'code' in err && 'status' in err && 'details' in err)
  );
}

/**
 * A short, safe description of any thrown value: URLs in it lose their credentials and queries, so
 * the text can be logged, stored, returned and tracked.
 */
export function describeError(err: unknown): string {
  return redactUrls(err instanceof Error ? err.message : String(err));
}
