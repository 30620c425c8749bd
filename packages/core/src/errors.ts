import './core-error-codes.js';
import { statusForCode, type CodeWhere, type CodeWithStatus, type ErrorCode } from './error-codes.js';
import { redactUrls } from './redaction.js';

/**
 * One error hierarchy for the whole hub. `code` is stable and declared once in a table
 * (core-error-codes.ts, or the raising plugin's own): the table gives its HTTP status, meaning and
 * fix, and docs/errors.md is generated from it. No class hard-codes a status: `status` reads the
 * table, and only the server turns it into an HTTP answer.
 * Branch on `isEvalHubError(err) && err.code === '…'`, never on a class name or a message.
 */

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
  /** For a code the table declares with several statuses: the one this error answers with. */
  status?: number;
}

/** Marks hub errors across copies of core (a plugin built against another one). */
const EVALHUB_ERROR: unique symbol = Symbol.for('evalhub.error') as never;

export class EvalHubError<Code extends ErrorCode = ErrorCode> extends Error {
  readonly [EVALHUB_ERROR] = true;
  readonly details: ErrorDetail[];
  /** Response headers the server sends with this error. */
  readonly headers: Record<string, string>;
  /** The status picked among the code's declared ones (see EvalHubErrorOptions.status). */
  readonly preferredStatus: number | undefined;

  constructor(
    readonly code: Code,
    message: string,
    options: EvalHubErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.details = options.details ?? [];
    this.headers = options.headers ?? {};
    this.preferredStatus = options.status;
  }

  /** The HTTP status the code's table declares; undefined for codes that are never an HTTP answer. */
  get status(): number | undefined {
    return statusForCode(this.code, this.preferredStatus);
  }

  toJSON(): { code: string; message: string; details: ErrorDetail[] } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

/** The client sent something the hub cannot accept (a 400 code). */
export class ValidationError extends EvalHubError<CodeWithStatus<400>> {
  constructor(
    message: string,
    details: ErrorDetail[] = [],
    options: { code?: CodeWithStatus<400>; cause?: unknown } = {},
  ) {
    super(options.code ?? 'validation_failed', message, {
      details,
      cause: options.cause,
      ...(options.code ? { status: 400 } : {}),
    });
  }
}

/** What an unknown id names, and the code each answers with. */
const NOT_FOUND_CODES = {
  Evaluation: 'evaluation_not_found',
  Collection: 'collection_not_found',
  Provider: 'provider_not_found',
  Benchmark: 'benchmark_not_found',
} as const satisfies Record<string, CodeWithStatus<404>>;

export type NotFoundSubject = keyof typeof NOT_FOUND_CODES;

export class NotFoundError extends EvalHubError<CodeWithStatus<404>> {
  constructor(what: NotFoundSubject, id: string, hint?: string) {
    super(NOT_FOUND_CODES[what], `${what} '${id}' does not exist.${hint ? ` ${hint}` : ''}`, {
      status: 404,
    });
  }
}

/** The request conflicts with the current state (a 409 code). */
export class ConflictError extends EvalHubError<CodeWithStatus<409>> {
  constructor(code: CodeWithStatus<409>, message: string, options: EvalHubErrorOptions = {}) {
    super(code, message, options);
  }
}

/**
 * The hub has as many evaluations waiting as it is configured to hold (`queue_full`, with
 * Retry-After). Nothing is stored; the same request (and Idempotency-Key) can be sent again later.
 */
export class QueueFullError extends EvalHubError<'queue_full'> {
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
export class ConfigError extends EvalHubError<'config_invalid'> {
  constructor(message: string, options: EvalHubErrorOptions = {}) {
    super('config_invalid', message, options);
  }
}

/** A plugin is missing, malformed, incompatible or was given bad options; raised at start-up. */
export class PluginError extends EvalHubError<'plugin_invalid' | 'plugin_not_installed'> {
  constructor(
    readonly plugin: string,
    message: string,
    options: EvalHubErrorOptions & { code?: 'plugin_invalid' | 'plugin_not_installed' } = {},
  ) {
    super(options.code ?? 'plugin_invalid', message, options);
  }
}

/** A dependency (a model server, a tracker) failed or could not be reached (a 5xx code). */
export class UpstreamError extends EvalHubError<CodeWithStatus<502 | 503 | 504>> {
  constructor(
    readonly upstream: string,
    message: string,
    options: EvalHubErrorOptions & { code?: CodeWithStatus<502 | 503 | 504> } = {},
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

/** The store's database cannot be reached right now (`store_unavailable`, Retry-After); nothing was written. */
export class StoreUnavailableError extends EvalHubError<'store_unavailable'> {
  constructor(message: string, options: EvalHubErrorOptions = {}) {
    super('store_unavailable', message, { headers: { 'Retry-After': '5' }, ...options });
  }
}

/** A benchmark run failed inside a provider; recorded on the benchmark, never thrown to clients. */
export class BenchmarkFailedError extends EvalHubError<CodeWhere<{ kind: 'benchmark' }>> {
  constructor(
    message: string,
    options: EvalHubErrorOptions & { code?: CodeWhere<{ kind: 'benchmark' }> } = {},
  ) {
    super(options.code ?? 'benchmark_failed', message, options);
  }
}

/**
 * A tracker error that retrying will not fix (e.g. a name conflict): the outbox stops delivering the
 * evaluation's operations and reports it (`tracking_failed`).
 */
export class PermanentTrackingError extends EvalHubError<'tracking_failed'> {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('tracking_failed', message, options);
  }
}

export function isEvalHubError(err: unknown): err is EvalHubError {
  return (
    err instanceof EvalHubError ||
    (typeof err === 'object' &&
      err !== null &&
      (err as { [EVALHUB_ERROR]?: unknown })[EVALHUB_ERROR] === true &&
      typeof (err as { code?: unknown }).code === 'string')
  );
}

/** Whether `err` is a hub error with this code (the one way to branch on an error). */
export function hasErrorCode<C extends ErrorCode>(err: unknown, code: C): err is EvalHubError<C> {
  return isEvalHubError(err) && err.code === code;
}

/**
 * A short, safe description of any thrown value: URLs in it lose their credentials and queries, so
 * the text can be logged, stored, returned and tracked.
 */
export function describeError(err: unknown): string {
  return redactUrls(err instanceof Error ? err.message : String(err));
}
