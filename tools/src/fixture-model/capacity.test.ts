import { describe, expect, it } from 'vitest';
import { CapacityModel, waves } from './capacity.js';

const never = new AbortController().signal;

describe('fixture capacity model', () => {
  it('serves up to capacity at once and queues the rest in FIFO order', async () => {
    const model = new CapacityModel();
    const first = await model.acquire('k', 2, null, never);
    const second = await model.acquire('k', 2, null, never);
    const order: number[] = [];
    const third = model.acquire('k', 2, null, never).then((a) => (order.push(3), a));
    const fourth = model.acquire('k', 2, null, never).then((a) => (order.push(4), a));
    expect(model.stats()['k']).toMatchObject({ running: 2, queued: 2, peakTotal: 4 });
    if (typeof first === 'string' || typeof second === 'string') throw new Error('expected slots');
    first.release();
    first.release(); // idempotent
    const a3 = await third;
    expect(order).toEqual([3]);
    second.release();
    const a4 = await fourth;
    expect(order).toEqual([3, 4]);
    if (typeof a3 === 'string' || typeof a4 === 'string') throw new Error('expected slots');
    a3.release();
    a4.release();
    expect(model.stats()['k']).toMatchObject({
      running: 0,
      queued: 0,
      served: 4,
      peakRunning: 2,
      peakQueued: 2,
    });
  });

  it('refuses when the queue is full and keeps pools apart by key', async () => {
    const model = new CapacityModel();
    await model.acquire('a', 1, 0, never);
    expect(await model.acquire('a', 1, 0, never)).toBe('full');
    expect(typeof (await model.acquire('b', 1, 0, never))).toBe('object');
    expect(model.stats()['a']).toMatchObject({ rejected: 1, running: 1 });
  });

  it('drops a waiter whose client went away', async () => {
    const model = new CapacityModel();
    await model.acquire('k', 1, null, never);
    const gone = new AbortController();
    const waiting = model.acquire('k', 1, null, gone.signal);
    gone.abort();
    expect(await waiting).toBe('aborted');
    expect(model.stats()['k']).toMatchObject({ queued: 0 });
  });

  it('counts a batched request as its sequences: it waits until they all fit', async () => {
    const model = new CapacityModel();
    const three = await model.acquire('k', 4, null, never, 3);
    if (typeof three === 'string') throw new Error('expected slots');
    let started = false;
    const two = model.acquire('k', 4, null, never, 2).then((a) => ((started = true), a));
    // a single sequence behind the batch keeps its FIFO place
    const one = model.acquire('k', 4, null, never, 1);
    expect(model.stats()['k']).toMatchObject({ running: 3, queued: 2, peakTotal: 6 });
    await Promise.resolve();
    expect(started).toBe(false);
    three.release();
    const a2 = await two;
    const a1 = await one;
    if (typeof a2 === 'string' || typeof a1 === 'string') throw new Error('expected slots');
    expect(model.stats()['k']).toMatchObject({ running: 3, peakRunning: 3 });
    a2.release();
    a1.release();
    expect(model.stats()['k']).toMatchObject({ running: 0, served: 6, requests: 3 });
  });

  it('serves a batch larger than the server in waves, holding the whole server', async () => {
    const model = new CapacityModel();
    const big = await model.acquire('k', 4, null, never, 10);
    if (typeof big === 'string') throw new Error('expected slots');
    expect(big.waves).toBe(3);
    expect(model.stats()['k']).toMatchObject({ running: 4 });
    expect(waves(1, 64)).toBe(1);
    expect(waves(64, 64)).toBe(1);
    expect(waves(65, 64)).toBe(2);
  });
});
