import { describe, expect, it } from 'vitest';
import { isTransientStatus, nextDelay, retryAfterMs, sleep, transientErrorCode } from './preflight-retry.js';

describe('preflight retry policy', () => {
  it('treats 503/429/502/504 as transient, other statuses as final', () => {
    expect([429, 502, 503, 504].every(isTransientStatus)).toBe(true);
    expect([200, 400, 401, 404, 500].some(isTransientStatus)).toBe(false);
  });

  it('retries refused and reset connections, not other fetch errors', () => {
    expect(transientErrorCode(new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } }))).toBe(
      'ECONNREFUSED',
    );
    expect(transientErrorCode(new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } }))).toBe(
      'ECONNRESET',
    );
    expect(
      transientErrorCode(new TypeError('fetch failed', { cause: { code: 'ENOTFOUND' } })),
    ).toBeUndefined();
    expect(transientErrorCode(new Error('boom'))).toBeUndefined();
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(retryAfterMs('0')).toBe(0);
    expect(retryAfterMs('3')).toBe(3000);
    const now = Date.parse('2026-12-01T00:00:00Z');
    expect(retryAfterMs('Tue, 01 Dec 2026 00:00:02 GMT', now)).toBe(2000);
    expect(retryAfterMs(null)).toBeUndefined();
    expect(retryAfterMs('soon')).toBeUndefined();
  });

  it('backs off exponentially up to a cap, honours the server delay, and stops at the budget', () => {
    const policy = { budgetMs: 10_000, initialDelayMs: 250, maxDelayMs: 2_000 };
    expect([1, 2, 3, 4, 5].map((a) => nextDelay(policy, a, 0))).toEqual([250, 500, 1000, 2000, 2000]);
    expect(nextDelay(policy, 1, 0, 0)).toBe(0);
    expect(nextDelay(policy, 2, 0, 0)).toBe(0);
    expect(nextDelay(policy, 3, 0, 0)).toBe(1000);
    expect(nextDelay(policy, 3, 0, 1500)).toBe(1500);
    expect(nextDelay(policy, 1, 9_000, 3_000)).toBeUndefined();
    expect(nextDelay({ budgetMs: 0 }, 1, 0)).toBeUndefined();
  });

  it('sleep ends early with the abort reason', async () => {
    const controller = new AbortController();
    const waiting = sleep(60_000, controller.signal);
    controller.abort(new Error('cancelled'));
    await expect(waiting).rejects.toThrow('cancelled');
  });
});
