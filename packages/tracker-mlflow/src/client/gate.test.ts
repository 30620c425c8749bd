import { describe, expect, it } from 'vitest';
import { RequestGate } from './gate.js';

describe('RequestGate', () => {
  it('lets at most `limit` requests in flight, the others in arrival order', async () => {
    const gate = new RequestGate(2);
    const order: number[] = [];
    const releases = await Promise.all([gate.acquire(), gate.acquire()]);
    const waiting = [3, 4].map((n) => gate.acquire().then((release) => (order.push(n), release)));
    await new Promise((ok) => setTimeout(ok, 10));
    expect(gate.inFlight).toBe(2);
    expect(order).toEqual([]);
    releases[0]!();
    const third = await waiting[0]!;
    expect(order).toEqual([3]);
    releases[1]!();
    (await waiting[1]!)();
    third();
    expect(order).toEqual([3, 4]);
    expect(gate.inFlight).toBe(0);
  });

  it('pauses new requests after a failure and halves the requests allowed, growing back on success', async () => {
    let now = 1_000;
    const gate = new RequestGate(4, () => now);
    gate.failed(50);
    expect(gate.currentLimit).toBe(2);
    gate.failed(50);
    expect(gate.currentLimit).toBe(1);
    gate.failed(50);
    expect(gate.currentLimit).toBe(1);
    let admitted = false;
    const next = gate.acquire().then((r) => ((admitted = true), r));
    await new Promise((ok) => setTimeout(ok, 10));
    expect(admitted).toBe(false);
    // A retry that waited out its own delay is not held by the pause.
    (await gate.acquire(true))();
    now += 50;
    (await next)();
    expect(admitted).toBe(true);
    gate.succeeded();
    gate.succeeded();
    gate.succeeded();
    gate.succeeded();
    expect(gate.currentLimit).toBe(4);
  });
});
