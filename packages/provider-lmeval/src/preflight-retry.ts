/**
 * Retrying the preflight's probes through transient model-server trouble, as lm-eval itself retries
 * its requests: a 503/429/502/504 (honouring `Retry-After`) or a refused/reset connection is tried
 * again with exponential backoff until a time budget is spent. Anything else is final at once.
 */

/** HTTP statuses a server (or the proxy before it) uses for "not now, try again". */
const TRANSIENT_STATUSES = new Set([429, 502, 503, 504]);
/** Connection-level failures worth another try (a server restarting, a proxy recycling). */
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

export interface RetryPolicy {
  /** Total time to keep trying, from the first attempt. */
  budgetMs: number;
  /** First backoff; doubled each attempt. Default 250 ms. */
  initialDelayMs?: number;
  /** Longest single wait. Default 5 s. */
  maxDelayMs?: number;
}

export const DEFAULT_PREFLIGHT_RETRY_MS = 60_000;

export function isTransientStatus(status: number): boolean {
  return TRANSIENT_STATUSES.has(status);
}

/** The error code of a failed `fetch` (undici puts it on `cause`), when it is a transient one. */
export function transientErrorCode(err: unknown): string | undefined {
  const cause = (err as { cause?: { code?: unknown } } | undefined)?.cause;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  return code !== undefined && TRANSIENT_CODES.has(code) ? code : undefined;
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * How long to wait before attempt `attempt + 1` (attempts count from 1), or undefined when the
 * budget would be exceeded. A server's `Retry-After` replaces the backoff.
 */
export function nextDelay(
  policy: RetryPolicy,
  attempt: number,
  elapsedMs: number,
  serverDelayMs?: number,
): number | undefined {
  const initial = policy.initialDelayMs ?? 250;
  const max = policy.maxDelayMs ?? 5_000;
  const backoff = Math.min(max, initial * 2 ** (attempt - 1));
  // the server's word is followed for the first retries; after that never faster than the backoff
  const delay =
    serverDelayMs === undefined ? backoff : attempt <= 2 ? serverDelayMs : Math.max(serverDelayMs, backoff);
  return elapsedMs + delay > policy.budgetMs ? undefined : delay;
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
