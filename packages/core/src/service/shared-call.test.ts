import { describe, expect, it } from 'vitest';
import { sharedCall } from './shared-call.js';

/** A function whose calls the test settles one by one. */
function controlled() {
  const calls: { resolve: (v: number) => void; reject: (e: Error) => void }[] = [];
  const fn = () => new Promise<number>((resolve, reject) => calls.push({ resolve, reject }));
  return { fn, calls };
}

const tick = () => new Promise((ok) => setImmediate(ok));

describe('sharedCall', () => {
  it('serves concurrent callers with one call, and later arrivals with the next one', async () => {
    const { fn, calls } = controlled();
    const count = sharedCall(fn);
    const first = count();
    const [a, b] = [count(), count()];
    expect(calls).toHaveLength(1);
    calls[0]!.resolve(1);
    expect(await first).toBe(1);
    await tick();
    // Those who asked while the first call was in flight get a call that began after they asked.
    expect(calls).toHaveLength(2);
    calls[1]!.resolve(2);
    expect(await Promise.all([a, b])).toEqual([2, 2]);
    const c = count();
    expect(calls).toHaveLength(3);
    calls[2]!.resolve(3);
    expect(await c).toBe(3);
  });

  it('passes a failure to the callers of that call only', async () => {
    const { fn, calls } = controlled();
    const count = sharedCall(fn);
    const failed = count();
    const later = count();
    calls[0]!.reject(new Error('down'));
    await expect(failed).rejects.toThrow('down');
    await tick();
    calls[1]!.resolve(7);
    expect(await later).toBe(7);
  });
});
