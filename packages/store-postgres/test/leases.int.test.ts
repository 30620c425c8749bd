import { LeaseLostError, isEvalHubError, type EvaluationLease } from '@evalhub/core';
import { conformanceEvaluation } from '@evalhub/core/testing';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { readMigrations } from '../src/migrator.js';
import type { PostgresStore } from '../src/postgres-store.js';
import { freshSchema, openStore } from './harness.js';

const opened: PostgresStore[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

/** `n` replicas' stores on one (fresh) schema. */
async function replicas(n: number): Promise<PostgresStore[]> {
  const schema = freshSchema('lease');
  const stores = await Promise.all(Array.from({ length: n }, () => openStore({ schema })));
  opened.push(...stores);
  return stores;
}

/** Waits (on the database's clock) until nobody holds the evaluation's lease. */
async function untilExpired(store: PostgresStore, id: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await store.leases.current(id)) !== undefined) {
    if (Date.now() > deadline) throw new Error(`the lease of ${id} did not expire within ${timeoutMs} ms`);
    await new Promise((ok) => setTimeout(ok, 20));
  }
}

async function expectLost(p: Promise<unknown>): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LeaseLostError);
  expect(isEvalHubError(err) && err.code).toBe('lease_lost');
}

describe('leases on PostgreSQL', () => {
  it('hands each unfinished evaluation to exactly one of several replicas claiming at once', async () => {
    const [a, b, c] = await replicas(3);
    for (let i = 0; i < 30; i++)
      await a!.createEvaluation(conformanceEvaluation(i, { status: i % 2 ? 'pending' : 'running' }));
    await a!.createEvaluation(conformanceEvaluation(99, { status: 'completed' }));
    const claimed: EvaluationLease[] = [];
    // Rounds of concurrent claims by three replicas until nothing is left.
    for (let round = 0; round < 20; round++) {
      const got = (
        await Promise.all(
          [a!, b!, c!].flatMap((s, i) => [
            s.leases.claim(`replica-${i}`, { leaseMs: 60_000, limit: 2 }),
            s.leases.claim(`replica-${i}`, { leaseMs: 60_000, limit: 2 }),
          ]),
        )
      ).flat();
      if (got.length === 0) break;
      claimed.push(...got);
    }
    const ids = claimed.map((l) => l.evaluationId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(Array.from({ length: 30 }, (_, i) => conformanceEvaluation(i).id).sort());
    expect(new Set(claimed.map((l) => l.owner)).size).toBeGreaterThan(1);
  });

  it('renews, releases and counts every claim in the fencing token', async () => {
    const [a, b] = await replicas(2);
    await a!.createEvaluation(conformanceEvaluation(1, { status: 'pending' }));
    const [lease] = await a!.leases.claim('a', { leaseMs: 5_000, limit: 10 });
    expect(lease).toMatchObject({ evaluationId: 'e001', owner: 'a', token: 1 });
    expect(await b!.leases.claim('b', { leaseMs: 5_000, limit: 10 })).toEqual([]);
    const renewed = await a!.leases.renew(lease!, 60_000);
    expect(renewed.token).toBe(1);
    expect(renewed.expiresAt.getTime()).toBeGreaterThan(lease!.expiresAt.getTime());
    expect((await b!.leases.current('e001'))?.owner).toBe('a');
    await a!.leases.release(renewed);
    expect(await b!.leases.current('e001')).toBeUndefined();
    const [taken] = await b!.leases.claim('b', { leaseMs: 5_000, limit: 10, ids: ['e001'] });
    expect(taken).toMatchObject({ owner: 'b', token: 2 });
    // The old holder's release of a lease it lost changes nothing.
    await a!.leases.release(renewed);
    expect((await a!.leases.current('e001'))?.owner).toBe('b');
  });

  it('takes a held lease over when asked to (a cancel on another replica): the holder is fenced at once', async () => {
    const [a, b] = await replicas(2);
    const e = conformanceEvaluation(1, { status: 'running' });
    await a!.createEvaluation(e);
    const [held] = await a!.leases.claim('a', { leaseMs: 60_000, limit: 1 });
    // Without takeOver a live lease is never claimed, with ids or without.
    expect(await b!.leases.claim('b', { leaseMs: 60_000, limit: 1, ids: ['e001'] })).toEqual([]);
    // takeOver needs ids: it does not take every held evaluation.
    expect(await b!.leases.claim('b', { leaseMs: 60_000, limit: 1, takeOver: true })).toEqual([]);
    const [taken] = await b!.leases.claim('b', { leaseMs: 60_000, limit: 1, ids: ['e001'], takeOver: true });
    expect(taken).toMatchObject({ evaluationId: 'e001', owner: 'b', token: 2 });
    await expectLost(a!.leases.renew(held!, 60_000));
    await expectLost(a!.leases.saveEvaluation(held!, { ...e, status: 'completed' }));
    await b!.leases.saveEvaluation(taken!, { ...e, status: 'cancelled' });
    expect((await a!.getEvaluation('e001'))?.status).toBe('cancelled');
    // A finished evaluation with an empty outbox needs no work: nothing to take over.
    await b!.leases.release(taken!);
    expect(await a!.leases.claim('a', { leaseMs: 60_000, limit: 1, ids: ['e001'], takeOver: true })).toEqual(
      [],
    );
  });

  it("rejects a paused owner's late writes once its lease expired, and after another replica took over", async () => {
    const [a, b] = await replicas(2);
    const e = conformanceEvaluation(1, { status: 'running' });
    await a!.createEvaluation(e);
    const [lease] = await a!.leases.claim('a', { leaseMs: 300, limit: 1 });
    await a!.leases.saveEvaluation(lease!, { ...e, updated_at: new Date().toISOString() });

    // Owner a "pauses" past its lease: nobody has taken over yet, still its writes must fail.
    await untilExpired(b!, 'e001');
    await expectLost(a!.leases.saveEvaluation(lease!, { ...e, status: 'completed' }));
    await expectLost(a!.leases.appendTrackingOps(lease!, [{ op: 'start' }]));
    await expectLost(a!.leases.renew(lease!, 60_000));

    // b takes over; a's writes still fail, b's succeed.
    const [taken] = await b!.leases.claim('b', { leaseMs: 60_000, limit: 1 });
    expect(taken).toMatchObject({ evaluationId: 'e001', owner: 'b', token: 2 });
    const lost = await a!.leases
      .saveEvaluation(lease!, { ...e, status: 'failed' })
      .catch((err: unknown) => err);
    expect(lost).toBeInstanceOf(LeaseLostError);
    expect((lost as Error).message).toMatch(/claimed again \(now token 2 by b\)/);
    await b!.leases.saveEvaluation(taken!, { ...e, status: 'completed' });
    expect((await a!.getEvaluation('e001'))?.status).toBe('completed');
    expect(await a!.countPendingTrackingOps()).toBe(0);
  });

  it('never lets a claim overtake a leased write in flight (the row is locked, the claim skips it)', async () => {
    const [a, b] = await replicas(2);
    await a!.createEvaluation(conformanceEvaluation(1, { status: 'running' }));
    const [lease] = await a!.leases.claim('a', { leaseMs: 300, limit: 1 });
    // What a leased ops write holds until it commits: a share lock on the evaluation's row.
    await a!.db.withClient(async (client) => {
      await client.query('BEGIN');
      await client.query('SELECT 1 FROM evaluations WHERE id = $1 FOR SHARE', [lease!.evaluationId]);
      await untilExpired(b!, 'e001');
      expect(await b!.leases.claim('b', { leaseMs: 60_000, limit: 1 })).toEqual([]);
      await client.query('COMMIT');
    });
    expect(await b!.leases.claim('b', { leaseMs: 60_000, limit: 1 })).toMatchObject([
      { owner: 'b', token: 2 },
    ]);
  });

  it('does not let a replica frozen inside a write keep its evaluation: the database ends the session', async () => {
    const schema = freshSchema('lease');
    const [a, b] = await Promise.all([
      openStore({ schema, idle_in_transaction_timeout_ms: 500 }),
      openStore({ schema }),
    ]);
    opened.push(a, b);
    await a.createEvaluation(conformanceEvaluation(1, { status: 'running' }));
    await a.leases.claim('a', { leaseMs: 300, limit: 1 });
    // A connection of replica a, as its pool opens them, stops between two statements of a leased
    // write (the process got SIGSTOP): its share lock on the row would outlive the lease.
    const frozen = new pg.Client(a.resolved.pool);
    const errors: Error[] = [];
    frozen.on('error', (err) => errors.push(err));
    await frozen.connect();
    await frozen.query('BEGIN');
    await frozen.query('SELECT 1 FROM evaluations WHERE id = $1 FOR SHARE', ['e001']);
    await untilExpired(b, 'e001');
    let taken: EvaluationLease[] = [];
    const deadline = Date.now() + 30_000;
    while (taken.length === 0 && Date.now() < deadline) {
      taken = await b.leases.claim('b', { leaseMs: 60_000, limit: 1 });
      if (taken.length === 0) await new Promise((ok) => setTimeout(ok, 50));
    }
    expect(taken).toMatchObject([{ evaluationId: 'e001', owner: 'b', token: 2 }]);
    // Its session was ended by the server, which said why.
    expect(errors[0]).toMatchObject({ code: '25P03' });
    await frozen.end().catch(() => undefined);
  });

  it('gives the outbox of a finished evaluation to one owner, who alone completes its ops', async () => {
    const [a, b] = await replicas(2);
    await a!.createEvaluation(conformanceEvaluation(1, { status: 'completed' }));
    await a!.createEvaluation(conformanceEvaluation(2, { status: 'completed' }));
    await a!.appendTrackingOps('e001', [{ op: 'start' }, { op: 'finish' }]);
    // Only the evaluation with ops waiting needs an owner.
    const [lease] = await a!.leases.claim('a', { leaseMs: 60_000, limit: 10 });
    expect(lease?.evaluationId).toBe('e001');
    expect(await b!.leases.claim('b', { leaseMs: 60_000, limit: 10 })).toEqual([]);
    const ops = await a!.pendingTrackingOps('e001');
    expect(ops.map((o) => o.op.op)).toEqual(['start', 'finish']);
    const stale: EvaluationLease = { ...lease!, token: lease!.token - 1 };
    await expectLost(b!.leases.completeTrackingOps(stale, [ops[0]!.seq]));
    await a!.leases.completeTrackingOps(
      lease!,
      ops.map((o) => o.seq),
    );
    expect(await b!.countPendingTrackingOps()).toBe(0);
    await a!.leases.release(lease!);
    // Finished with an empty outbox: nothing left to claim.
    expect(await b!.leases.claim('b', { leaseMs: 60_000, limit: 10 })).toEqual([]);
  });
});

describe('migrations on PostgreSQL', () => {
  it('are applied once when several replicas start together', async () => {
    const stores = await replicas(4);
    const applied = stores.map((s) => s.migration.applied);
    const versions = readMigrations().map((m) => m.version);
    expect(versions.length).toBeGreaterThanOrEqual(2);
    expect(applied.filter((a) => a.length > 0)).toEqual([versions]);
    const { rows } = await stores[0]!.db.query<{ version: number }>(
      'SELECT version FROM schema_migrations ORDER BY version',
    );
    expect(rows.map((r) => r.version)).toEqual(versions);
    expect(stores.every((s) => s.migration.version === versions.at(-1))).toBe(true);
  });
});
