import { describe, expect, it } from 'vitest';

import { until } from './until.js';

describe('until', () => {
  it('resolves with the first value the probe returns', async () => {
    let calls = 0;
    const value = await until('the third call', () => (++calls === 3 ? 'ready' : undefined), {
      intervalMs: 1,
    });
    expect(value).toBe('ready');
    expect(calls).toBe(3);
  });

  it('waits out false as well as undefined, and accepts other falsy values', async () => {
    let calls = 0;
    await expect(until('a condition', () => ++calls > 2, { intervalMs: 1 })).resolves.toBe(true);
    expect(calls).toBe(3);
    await expect(until('zero', () => 0, { intervalMs: 1 })).resolves.toBe(0);
  });

  it('names what it waited for when it times out', async () => {
    await expect(until('the moon', () => undefined, { timeoutMs: 20, intervalMs: 5 })).rejects.toThrow(
      /timed out after 20 ms waiting for the moon/,
    );
  });

  it('rethrows a probe error unless told to retry, then reports the last one', async () => {
    const failing = (): never => {
      throw new Error('connection refused');
    };
    await expect(until('a server', failing)).rejects.toThrow('connection refused');
    await expect(
      until('a server', failing, { timeoutMs: 20, intervalMs: 5, retryErrors: true }),
    ).rejects.toThrow(/waiting for a server \(last error: Error: connection refused\)/);
  });
});
