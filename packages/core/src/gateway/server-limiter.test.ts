import { describe, expect, it } from 'vitest';
import { ServerLimiter, SlotAbortedError } from './server-limiter.js';
import type { Slot } from './server-limiter.js';

describe('ServerLimiter', () => {
  it('grants up to the limit and queues the rest', async () => {
    const limiter = new ServerLimiter({ initialLimit: 2 });
    const a = await limiter.acquire('r1');
    const b = await limiter.acquire('r1');
    let third: Slot | undefined;
    const pending = limiter.acquire('r1').then((s) => (third = s));
    expect(limiter.state()).toMatchObject({ inFlight: 2, queued: 1 });
    a.release({ kind: 'ignore' });
    await pending;
    expect(third?.inFlight).toBe(2);
    b.release({ kind: 'ignore' });
    third!.release({ kind: 'ignore' });
    expect(limiter.state()).toMatchObject({ inFlight: 0, queued: 0, peakInFlight: 2 });
  });

  it('shares slots fairly between routes whatever each one asks for', async () => {
    const limiter = new ServerLimiter({ initialLimit: 4 });
    const held: Slot[] = [];
    // route A grabs everything first, then both queue many
    for (let i = 0; i < 4; i++) held.push(await limiter.acquire('A'));
    const granted: string[] = [];
    const waits: Promise<void>[] = [];
    for (let i = 0; i < 20; i++) {
      waits.push(limiter.acquire('A').then((s) => (granted.push('A'), held.push(s), undefined)));
      waits.push(limiter.acquire('B').then((s) => (granted.push('B'), held.push(s), undefined)));
    }
    // free the four A slots: B has none in flight, so it gets them until both have two
    for (let i = 0; i < 4; i++) held.shift()!.release({ kind: 'ignore' });
    await Promise.resolve();
    expect(limiter.state().routes).toEqual({ A: 2, B: 2 });
    while (held.length > 0) {
      held.shift()!.release({ kind: 'ignore' });
      await Promise.resolve();
    }
    await Promise.all(waits);
    expect(granted.filter((g) => g === 'A')).toHaveLength(20);
    expect(granted.filter((g) => g === 'B')).toHaveLength(20);
  });

  it('serves a retry before the route’s other waiters', async () => {
    const limiter = new ServerLimiter({ initialLimit: 1 });
    const a = await limiter.acquire('r');
    const order: string[] = [];
    const later = limiter.acquire('r').then((s) => (order.push('later'), s));
    const retry = limiter.acquire('r', undefined, true).then((s) => (order.push('retry'), s));
    a.release({ kind: 'ignore' });
    (await retry).release({ kind: 'ignore' });
    (await later).release({ kind: 'ignore' });
    expect(order).toEqual(['retry', 'later']);
  });

  it('drops an abandoned waiter', async () => {
    const limiter = new ServerLimiter({ initialLimit: 1 });
    const a = await limiter.acquire('r');
    const gone = new AbortController();
    const waiting = limiter.acquire('r', gone.signal);
    gone.abort();
    await expect(waiting).rejects.toBeInstanceOf(SlotAbortedError);
    expect(limiter.state().queued).toBe(0);
    a.release({ kind: 'ignore' });
    await expect(limiter.acquire('r', gone.signal)).rejects.toBeInstanceOf(SlotAbortedError);
  });

  it('feeds outcomes to the adaptive limit', async () => {
    const limiter = new ServerLimiter({ initialLimit: 10 });
    for (let i = 0; i < 10; i++) (await limiter.acquire('r')).release({ kind: 'overload' });
    expect(limiter.state().overloads).toBe(10);
    expect(limiter.state().limit).toBeLessThan(10);
  });

  it('counts a batched request as its sequences, and lets one larger than the limit through alone', async () => {
    const limiter = new ServerLimiter({ initialLimit: 8 });
    const batch = await limiter.acquire('A', undefined, false, 6);
    expect(limiter.state()).toMatchObject({ inFlight: 6, routes: { A: 6 } });
    let second: Slot | undefined;
    const pending = limiter.acquire('B', undefined, false, 4).then((s) => (second = s));
    await Promise.resolve();
    expect(second).toBeUndefined(); // 6 + 4 > 8: waits, and a single one behind it does not overtake
    let single: Slot | undefined;
    const behind = limiter.acquire('B', undefined, false, 1).then((s) => (single = s));
    await Promise.resolve();
    expect(single).toBeUndefined();
    batch.release({ kind: 'ignore' });
    await pending;
    await behind;
    expect(limiter.state()).toMatchObject({ inFlight: 5, routes: { B: 5 } });
    second!.release({ kind: 'ignore' });
    single!.release({ kind: 'ignore' });
    const huge = await limiter.acquire('A', undefined, false, 20);
    expect(limiter.state()).toMatchObject({ inFlight: 20, peakInFlight: 20 });
    huge.release({ kind: 'ignore' });
    expect(limiter.state()).toMatchObject({ inFlight: 0, routes: {} });
  });
});
