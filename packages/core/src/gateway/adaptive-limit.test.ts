import { describe, expect, it } from 'vitest';
import { AdaptiveLimit } from './adaptive-limit.js';

/**
 * A continuous-batching server in a closed loop: `limit` requests always in flight, C served in
 * parallel at latency L, so each round trip takes L × max(1, N / C) (Little's law). One call = one
 * window of `limit` samples; returns the limits seen.
 */
function simulate(
  limit: AdaptiveLimit,
  opts: { capacity: number; latencyMs: number; windows: number; queue?: number; now?: { t: number } },
): number[] {
  const clock = opts.now ?? { t: 0 };
  const seen: number[] = [];
  for (let w = 0; w < opts.windows; w++) {
    const n = limit.limit;
    const rtt = opts.latencyMs * Math.max(1, n / opts.capacity);
    clock.t += rtt;
    if (opts.queue !== undefined && n > opts.capacity + opts.queue) {
      // the server refuses what does not fit: overload signals, the rest are samples
      for (let i = 0; i < n - opts.capacity - opts.queue; i++) limit.onOverload(clock.t);
      for (let i = 0; i < opts.capacity; i++) limit.onSample(opts.latencyMs, n, clock.t);
    } else {
      for (let i = 0; i < n; i++) limit.onSample(rtt, n, clock.t);
    }
    seen.push(limit.limit);
  }
  return seen;
}

describe('AdaptiveLimit', () => {
  it('slow-starts and settles between C and 1.2 C + √(2C) for a server of capacity C', () => {
    for (const capacity of [8, 64, 200]) {
      const limit = new AdaptiveLimit({ maxLimit: 1000 }, 0);
      const seen = simulate(limit, { capacity, latencyMs: 200, windows: 60 });
      const tail = seen.slice(-20);
      // one window in the tail may be a baseline probe at half the limit
      expect(tail.filter((l) => l < capacity).length).toBeLessThanOrEqual(1);
      for (const l of tail) expect(l).toBeLessThanOrEqual(1.2 * capacity + Math.sqrt(2 * capacity) + 2);
    }
  });

  it('reaches capacity 64 from 4 within a few round trips (slow start doubles)', () => {
    const limit = new AdaptiveLimit({}, 0);
    const seen = simulate(limit, { capacity: 64, latencyMs: 200, windows: 6 });
    expect(seen.slice(0, 4)).toEqual([8, 16, 32, 64]);
  });

  it('backs off on overload and stays near what the server accepts', () => {
    const clock = { t: 0 };
    const limit = new AdaptiveLimit({ maxLimit: 1000 }, 0);
    simulate(limit, { capacity: 64, latencyMs: 100, windows: 30, now: clock });
    expect(limit.limit).toBeGreaterThanOrEqual(64);
    // the server now takes 16 and refuses the rest
    const seen = simulate(limit, { capacity: 16, latencyMs: 100, windows: 60, queue: 0, now: clock });
    const tail = seen.slice(-30);
    expect(Math.max(...tail)).toBeLessThanOrEqual(24);
    expect(tail.filter((l) => l < 12).length).toBeLessThanOrEqual(1); // a baseline probe
    expect(limit.state().overloads).toBeGreaterThan(0);
  });

  it('never exceeds maxLimit nor goes below minLimit', () => {
    const limit = new AdaptiveLimit({ maxLimit: 10, minLimit: 2 }, 0);
    expect(Math.max(...simulate(limit, { capacity: 500, latencyMs: 10, windows: 30 }))).toBe(10);
    for (let i = 0; i < 50; i++) limit.onOverload(i * 1000);
    expect(limit.limit).toBe(2);
  });

  it('decreases at most once per round trip on a burst of overloads', () => {
    const limit = new AdaptiveLimit({ initialLimit: 100, maxLimit: 1000 }, 0);
    for (let i = 0; i < 100; i++) limit.onSample(50, 100, 1);
    const before = limit.limit;
    for (let i = 0; i < 20; i++) limit.onOverload(10 + i);
    expect(limit.limit).toBe(Math.floor(before * 0.8));
  });

  it('ignores samples of requests sent under an older limit', () => {
    const limit = new AdaptiveLimit({}, 0);
    const epoch = limit.epoch;
    for (let i = 0; i < 4; i++) limit.onSample(100, 4, 100, epoch);
    expect(limit.limit).toBe(8);
    // stale fast samples (sent at limit 4) must not double the limit again
    for (let i = 0; i < 8; i++) limit.onSample(100, 8, 200, epoch);
    expect(limit.limit).toBe(8);
    for (let i = 0; i < 8; i++) limit.onSample(100, 8, 300, limit.epoch);
    expect(limit.limit).toBe(16);
  });

  it('does not grow when the engine does not use the limit', () => {
    const limit = new AdaptiveLimit({ initialLimit: 16 }, 0);
    for (let i = 0; i < 200; i++) limit.onSample(100, 2, i * 10);
    expect(limit.limit).toBe(16);
  });

  it('probes the baseline again at half the limit, then resumes', () => {
    const clock = { t: 0 };
    const limit = new AdaptiveLimit({ probeIntervalMs: 5_000, maxLimit: 1000 }, 0);
    const seen = simulate(limit, { capacity: 32, latencyMs: 200, windows: 80, now: clock });
    const steady = seen.at(-1)!;
    expect(seen.some((l) => l <= Math.ceil(steady / 2) + 1)).toBe(true);
    expect(steady).toBeGreaterThanOrEqual(32);
  });

  it('counts sequences: one batched answer fills a window, and the median is weighted by sequences', () => {
    const limit = new AdaptiveLimit({ initialLimit: 4 }, 0);
    // a batch of 16 let through alone at a limit of 4, answered at the baseline: the server took 16
    limit.onSample(100, 16, 100, limit.epoch, 16);
    expect(limit.state()).toMatchObject({ limit: 32, baselineMs: 100, phase: 'slow-start' });
    // a window of 32 sequences: one fast single answer, a slow batch of 31: the batch's RTT is the median
    limit.onSample(50, 32, 200, limit.epoch, 1);
    limit.onSample(400, 32, 600, limit.epoch, 31);
    expect(limit.state().lastWindowMs).toBe(400);
  });

  it('reads no queueing into the jitter of a sub-millisecond server (minRiseMs)', () => {
    const limit = new AdaptiveLimit({}, 0);
    let t = 0;
    // a loopback server: 0.5 ms, with 1–4 ms of scheduling noise on a busy machine, never queueing
    for (let i = 0; i < 2_000; i++) {
      t += 1;
      const rtt = i % 10 === 0 ? 4 : 0.5 + (i % 3);
      limit.onSample(rtt, limit.limit, t);
    }
    expect(limit.limit).toBeGreaterThanOrEqual(4);
    // …while a real rise past baseline + 20 ms still shrinks it
    const slow = new AdaptiveLimit({ initialLimit: 64 }, 0);
    for (let i = 0; i < 64; i++) slow.onSample(0.5, 64, 1);
    const before = slow.limit;
    for (let i = 0; i < before; i++) slow.onSample(40, before, 2);
    expect(slow.state().phase).toBe('steady');
    expect(slow.limit).toBeLessThan(before);
  });
});
