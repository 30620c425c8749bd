import type { ReplicaEvent } from '@evalhub/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { PostgresStoreOptions } from '../src/options.js';
import type { PostgresStore } from '../src/postgres-store.js';
import { freshSchema, openStore } from './harness.js';

const opened: PostgresStore[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

async function replicas(n: number, options: Partial<PostgresStoreOptions> = {}): Promise<PostgresStore[]> {
  const schema = freshSchema('events');
  const stores = await Promise.all(
    Array.from({ length: n }, (_, i) => openStore({ schema, ...options }, `replica-${i}`)),
  );
  opened.push(...stores);
  return stores;
}

/** Collects events and resolves `until(n)` once n arrived. */
function collector(): {
  events: ReplicaEvent[];
  listener: (e: ReplicaEvent) => void;
  until(n: number): Promise<void>;
} {
  const events: ReplicaEvent[] = [];
  const waiters: { n: number; ok: () => void }[] = [];
  return {
    events,
    listener: (e) => {
      events.push(e);
      for (const w of waiters) if (events.length >= w.n) w.ok();
    },
    until: (n) =>
      new Promise<void>((ok, fail) => {
        if (events.length >= n) return ok();
        const timer = setTimeout(
          () => fail(new Error(`only ${events.length} of ${n} events arrived`)),
          30_000,
        );
        waiters.push({ n, ok: () => (clearTimeout(timer), ok()) });
      }),
  };
}

describe('replica events on PostgreSQL', () => {
  it("delivers one replica's events to the others, in order, through LISTEN/NOTIFY", async () => {
    const [a, b, c] = await replicas(3);
    const atB = collector();
    const atC = collector();
    b!.events.subscribe(atB.listener);
    c!.events.subscribe(atC.listener);
    await Promise.all([b!.events.ready(), c!.events.ready()]);
    expect(b!.events.listening).toBe(true);
    for (let i = 0; i < 50; i++) await a!.events.publish('progress', { evaluation: 'e1', i });
    await Promise.all([atB.until(50), atC.until(50)]);
    for (const got of [atB.events, atC.events]) {
      expect(got.map((e) => (e.payload as { i: number }).i)).toEqual(Array.from({ length: 50 }, (_, i) => i));
      expect(got.every((e) => e.topic === 'progress' && e.origin === 'replica-0')).toBe(true);
    }
    expect(b!.events.stats.notifications).toBeGreaterThan(0);
  });

  it("skips a replica's own events unless asked", async () => {
    const [a] = await replicas(1);
    const others = collector();
    const all = collector();
    a!.events.subscribe(others.listener);
    a!.events.subscribe(all.listener, { includeOwn: true });
    await a!.events.ready();
    await a!.events.publish('cancel', { evaluation: 'e7' });
    await all.until(1);
    expect(all.events[0]).toEqual({ topic: 'cancel', origin: 'replica-0', payload: { evaluation: 'e7' } });
    expect(others.events).toEqual([]);
  });

  it('delivers an event that commits after a later one (out of seq order)', async () => {
    const [a, b] = await replicas(2, { events_poll_ms: 100 });
    const atB = collector();
    b!.events.subscribe(atB.listener);
    await b!.events.ready();
    await a!.db.withClient(async (client) => {
      // A publish whose transaction is still open holds the lower seq…
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO replica_events (topic, origin, payload) VALUES ('progress', 'replica-0', '{"i":1}')`,
      );
      // …while a later one commits first and is delivered at once.
      await a!.events.publish('progress', { i: 2 });
      await atB.until(1);
      await client.query('COMMIT');
    });
    await atB.until(2);
    expect(atB.events.map((e) => e.payload)).toEqual([{ i: 2 }, { i: 1 }]);
  });

  it('still delivers by polling when LISTEN is off (the fallback)', async () => {
    const [a, b] = await replicas(2, { events_listen: false, events_poll_ms: 100 });
    const atB = collector();
    b!.events.subscribe(atB.listener);
    await b!.events.ready();
    expect(b!.events.listening).toBe(false);
    await a!.events.publish('progress', { i: 1 });
    await a!.events.publish('progress', { i: 2 });
    await atB.until(2);
    expect(atB.events.map((e) => e.payload)).toEqual([{ i: 1 }, { i: 2 }]);
    expect(b!.events.stats.notifications).toBe(0);
  });
});
