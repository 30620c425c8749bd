/**
 * When the gateway tries a model request again, and after how long. Retried: 429, 502, 503, 504
 * and connection failures (reset, refused, timed out). The delay is exponential backoff with full
 * jitter, and at least the server's `Retry-After` (seconds or an HTTP date, capped) when it sends one.
 * Bounded by a number of retries and a total time budget; after that the engine gets the server's
 * last answer (or a 502 naming the connection error).
 */

export interface RetryOptions {
  /** Retries after the first attempt. Default 6. */
  maxRetries: number;
  /** First backoff step. Default 250 ms. */
  baseDelayMs: number;
  /** Largest backoff step. Default 10 s. */
  maxDelayMs: number;
  /** Largest `Retry-After` honoured. Default 60 s. */
  maxRetryAfterMs: number;
  /** No retry starts later than this after the request arrived. Default 5 min. */
  budgetMs: number;
}

export const DEFAULT_RETRY: Readonly<RetryOptions> = Object.freeze({
  maxRetries: 6,
  baseDelayMs: 250,
  maxDelayMs: 10_000,
  maxRetryAfterMs: 60_000,
  budgetMs: 300_000,
});

export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

/** Error codes (Node and undici) of a connection that failed before an answer. */
const RETRYABLE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** The error code of a transport failure (walks `cause`), if any. */
export function errorCode(err: unknown): string | undefined {
  for (let e = err, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export function isRetryableError(err: unknown): boolean {
  const code = errorCode(err);
  return code !== undefined && RETRYABLE_CODES.has(code);
}

/** `Retry-After` in milliseconds (delta seconds or HTTP date), or undefined. */
export function parseRetryAfter(
  value: string | string[] | undefined,
  now: number = Date.now(),
): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return undefined;
  const t = v.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000);
  const date = Date.parse(t);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export type RetryDecision = { retry: false } | { retry: true; delayMs: number };

export class RetryPolicy {
  readonly options: RetryOptions;

  constructor(
    options: Partial<RetryOptions> = {},
    private readonly random: () => number = Math.random,
  ) {
    this.options = { ...DEFAULT_RETRY, ...options };
  }

  /**
   * After attempt number `attempt` (1 = the first) ended with `outcome`, `elapsedMs` after the
   * request arrived: retry, and after how long?
   */
  decide(
    attempt: number,
    outcome: { status: number; retryAfter?: string | string[] | undefined } | { error: unknown },
    elapsedMs: number,
  ): RetryDecision {
    const o = this.options;
    if (attempt > o.maxRetries) return { retry: false };
    let retryAfterMs: number | undefined;
    if ('status' in outcome) {
      if (!RETRYABLE_STATUSES.has(outcome.status)) return { retry: false };
      retryAfterMs = parseRetryAfter(outcome.retryAfter);
    } else if (!isRetryableError(outcome.error)) return { retry: false };
    // the server's Retry-After is a floor: `Retry-After: 0` from an overloaded server must not
    // turn into a tight retry loop, so the jittered backoff applies on top of it
    const backoff = Math.floor(this.random() * Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** (attempt - 1)));
    const delayMs =
      retryAfterMs !== undefined ? Math.max(Math.min(retryAfterMs, o.maxRetryAfterMs), backoff) : backoff;
    if (elapsedMs + delayMs > o.budgetMs) return { retry: false };
    return { retry: true, delayMs };
  }
}
