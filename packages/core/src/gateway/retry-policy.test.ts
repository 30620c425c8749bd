import { describe, expect, it } from 'vitest';
import { RetryPolicy, errorCode, parseRetryAfter } from './retry-policy.js';

describe('RetryPolicy', () => {
  const policy = new RetryPolicy(
    { maxRetries: 3, baseDelayMs: 100, maxDelayMs: 1000, budgetMs: 10_000 },
    () => 0.5,
  );

  it('retries 429/502/503/504 with jittered exponential backoff', () => {
    expect(policy.decide(1, { status: 503 }, 0)).toEqual({ retry: true, delayMs: 50 });
    expect(policy.decide(2, { status: 429 }, 0)).toEqual({ retry: true, delayMs: 100 });
    expect(policy.decide(3, { status: 504 }, 0)).toEqual({ retry: true, delayMs: 200 });
    expect(policy.decide(4, { status: 503 }, 0)).toEqual({ retry: false });
  });

  it('does not retry client errors, 500 or successes', () => {
    for (const status of [200, 400, 401, 404, 422, 500])
      expect(policy.decide(1, { status }, 0).retry).toBe(false);
  });

  it('honours Retry-After (seconds or date), capped', () => {
    expect(policy.decide(1, { status: 429, retryAfter: '2' }, 0)).toEqual({ retry: true, delayMs: 2000 });
    // Retry-After is a floor under the jittered backoff (50 ms here)
    expect(policy.decide(1, { status: 429, retryAfter: '0' }, 0)).toEqual({ retry: true, delayMs: 50 });
    const capped = new RetryPolicy({ maxRetryAfterMs: 500 });
    expect(capped.decide(1, { status: 503, retryAfter: '30' }, 0)).toEqual({ retry: true, delayMs: 500 });
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });

  it('retries connection failures only, within the time budget', () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const wrapped = new Error('fetch failed', { cause: { code: 'UND_ERR_SOCKET' } });
    expect(policy.decide(1, { error: reset }, 0).retry).toBe(true);
    expect(policy.decide(1, { error: wrapped }, 0).retry).toBe(true);
    expect(errorCode(wrapped)).toBe('UND_ERR_SOCKET');
    expect(policy.decide(1, { error: new Error('bug') }, 0).retry).toBe(false);
    expect(policy.decide(1, { status: 503, retryAfter: '5' }, 9_000).retry).toBe(false);
  });
});
