import { mkdtemp, rm } from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Evaluation, EvaluationLogs } from '@evalhub/core';
import { until } from '@evalhub/core/testing';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { restartPostgres } from '../src/postgres/launcher.js';
import { api } from './hub-api.js';
import { processesMentioning } from './processes.js';
import {
  arcRequest,
  mlflowRuns,
  quickRequest,
  readEvents,
  startReplica,
  workRoot,
  type ClusterOptions,
  type Replica,
} from './replicas-support.js';

// Real parts only: `evalhub serve` processes sharing one real PostgreSQL database (global setup),
// the real lm-eval provider and engine against the fixture model server, the real MLflow server.
// A short lease (3 s) keeps the take-overs quick; the default is 15 s.

const LEASE_MS = Number(process.env.EVALHUB_TEST_LEASE_MS ?? 3_000);
let top: string;
let run = 0;
const started: Replica[] = [];

beforeAll(async () => {
  top = realpathSync(await mkdtemp(join(tmpdir(), 'evalhub-replicas-')));
});
afterEach(async () => {
  for (const r of started.splice(0)) {
    r.child.kill('SIGCONT');
    await r.stop('SIGKILL');
    // Error-level log lines, for whoever reads a failure (warnings such as lease_lost are expected).
    const errors = r
      .log()
      .split('\n')
      .filter((l) => /"level":(50|60)/.test(l));
    if (errors.length) console.log(`${r.name} logged errors:\n${errors.join('\n')}`);
  }
});
afterAll(async () => {
  if (top) await rm(top, { recursive: true, force: true });
});

/** `n` replicas on a fresh schema and MLflow experiment prefix. */
async function cluster(
  n: number,
  extra: Partial<ClusterOptions> = {},
): Promise<{ replicas: Replica[]; options: ClusterOptions }> {
  run++;
  const options: ClusterOptions = {
    ...extra,
    top: join(top, `run-${run}`),
    schema: `replicas_${process.pid}_${Date.now().toString(36)}_${run}`,
    leaseMs: LEASE_MS,
    experimentPrefix: `replicas-${process.pid}-${Date.now().toString(36)}-${run}`,
  };
  const replicas: Replica[] = [];
  // One after the other: the first applies the migrations, the others find them applied.
  for (let i = 0; i < n; i++) {
    const r = await startReplica(options, `replica-${'abc'[i]}`);
    started.push(r);
    replicas.push(r);
  }
  return { replicas, options };
}

const get = async (r: Replica, id: string): Promise<Evaluation> =>
  (await api<Evaluation>(r, 'GET', `/api/v1/evaluations/${id}`)).body;

/** The first benchmark's log lines as replica `r` answers for them. */
const logLines = async (r: Replica, id: string): Promise<string[]> =>
  (await api<EvaluationLogs>(r, 'GET', `/api/v1/evaluations/${id}/logs?tail=10000`)).body.benchmarks[0]!
    .lines;

/** How many runs of lm-eval a log shows (the provider writes this line before each). */
const lmEvalStarts = (lines: string[]): number => lines.filter((l) => l.startsWith('Running lm-eval')).length;

/** Submits to `to` and waits until `to` runs its engine; returns the evaluation id. */
async function submitAndWaitForEngine(to: Replica, body: unknown): Promise<string> {
  const submitted = await api<Evaluation>(to, 'POST', '/api/v1/evaluations', body);
  expect(submitted.status, JSON.stringify(submitted.body)).toBe(202);
  const id = submitted.body.id;
  await until(`lm-eval of ${id} on ${to.name}`, () =>
    processesMentioning(workRoot(to, id)).length > 0 ? true : undefined,
  );
  return id;
}

/** The evaluation's one MLflow run: FINISHED, with every metric the evaluation reports. */
async function expectOneFinishedRun(e: Evaluation, prefix: string): Promise<void> {
  const runs = await until('the MLflow run to be finished', async () => {
    const found = await mlflowRuns(`${prefix}_${e.experiment!.name}`);
    return found.length > 0 && found.every((r) => r.info.status === 'FINISHED') ? found : undefined;
  });
  expect(runs).toHaveLength(1);
  const logged = new Set((runs[0]!.data.metrics ?? []).map((m) => m.key));
  const b = e.benchmarks[0]!;
  const expected = Object.entries(b.results!.metrics)
    .filter(([, v]) => typeof v === 'number')
    .map(([k]) => `${b.benchmark_id}.${k}`);
  expect(expected.length).toBeGreaterThan(0);
  for (const key of [...expected, 'evaluation.duration_seconds']) expect(logged).toContain(key);
}

describe('several hub processes on one PostgreSQL database', () => {
  it('SIGKILL of the replica running an evaluation: another finishes it, one FINISHED MLflow run, every replica shows both attempts’ log', async () => {
    const { replicas, options } = await cluster(3);
    const [a, b, c] = replicas as [Replica, Replica, Replica];
    const id = await submitAndWaitForEngine(a, arcRequest('takeover', 'slow'));
    // The log of the attempt running on A, read through a replica without its file.
    await until(`${b.name} to show the log of ${a.name}`, async () =>
      lmEvalStarts(await logLines(b, id)) === 1 ? true : undefined,
    );
    const killedAt = Date.now();
    await a.stop('SIGKILL');
    // The engine dies with its hub (watchdog); another replica claims the evaluation once the
    // lease has run out and starts attempt 2 in its own data folder.
    const taker = await until('another replica to run attempt 2', () =>
      [b, c].find((r) => processesMentioning(join(workRoot(r, id), '0-arc_easy', 'attempt-2')).length > 0),
    );
    const takeoverMs = Date.now() - killedAt;
    console.log(`take-over after SIGKILL: ${takeoverMs} ms (lease ${LEASE_MS} ms)`);
    expect(takeoverMs).toBeLessThan(2 * LEASE_MS + 5_000);
    expect(processesMentioning(workRoot(a, id))).toEqual([]);

    const final = await until('the evaluation to complete', async () => {
      const e = await get(taker, id);
      return e.status === 'completed' ? e : undefined;
    });
    expect(final.benchmarks[0]).toMatchObject({ status: 'completed', attempts: 2 });
    await expectOneFinishedRun(final, options.experimentPrefix);
    const other = taker === b ? c : b;
    const synced = await until('tracking to be synced', async () => {
      const e = await get(other, id);
      return e.tracking.state === 'synced' ? e : undefined;
    });
    expect(synced.tracking.pending_operations).toBe(0);
    // Any replica answers with the same document, and with the log of both attempts: the one the
    // dead replica ran, then the taker's.
    expect(await get(taker, id)).toEqual(synced);
    for (const r of [taker, other]) expect(lmEvalStarts(await logLines(r, id)), r.name).toBe(2);
  });

  it('SIGTERM (a rolling restart): the leases are released, another replica resumes at once without counting an attempt', async () => {
    const { replicas, options } = await cluster(2);
    const [a, b] = replicas as [Replica, Replica];
    const id = await submitAndWaitForEngine(a, arcRequest('rolling', 'slow'));
    const stoppedAt = Date.now();
    expect(await a.stop('SIGTERM')).toBe(0);
    await until(`${b.name} to run it`, () =>
      processesMentioning(join(workRoot(b, id), '0-arc_easy', 'attempt-1')).length > 0 ? true : undefined,
    );
    const resumeMs = Date.now() - stoppedAt;
    console.log(`resumed after SIGTERM: ${resumeMs} ms (lease ${LEASE_MS} ms)`);
    const final = await until('the evaluation to complete', async () => {
      const e = await get(b, id);
      return e.status === 'completed' ? e : undefined;
    });
    // The interrupted start was not a failed attempt.
    expect(final.benchmarks[0]).toMatchObject({ status: 'completed', attempts: 1 });
    await expectOneFinishedRun(final, options.experimentPrefix);
  });

  it('SIGSTOP past the lease: the paused replica cannot write after SIGCONT; the result is the other replica’s', async () => {
    const { replicas, options } = await cluster(2);
    const [a, b] = replicas as [Replica, Replica];
    const id = await submitAndWaitForEngine(a, arcRequest('paused-owner', 'slow'));
    a.child.kill('SIGSTOP');
    const final = await until('the other replica to complete it', async () => {
      const e = await get(b, id);
      return e.status === 'completed' ? e : undefined;
    });
    expect(final.benchmarks[0]!.attempts).toBe(2);
    expect(processesMentioning(join(workRoot(b, id), '0-arc_easy', 'attempt-2'))).toEqual([]);
    await expectOneFinishedRun(final, options.experimentPrefix);
    const afterB = await until('tracking to be synced', async () => {
      const e = await get(b, id);
      return e.tracking.state === 'synced' ? e : undefined;
    });

    a.child.kill('SIGCONT');
    // Its renew (or its first write) is refused by the database: it stops without writing.
    await until('the paused replica to learn it lost the lease', () =>
      a.log().includes('lease_lost') ? true : undefined,
    );
    await until('its engine to be stopped', () =>
      processesMentioning(workRoot(a, id)).length === 0 ? true : undefined,
    );
    const line = a
      .log()
      .split('\n')
      .find((l) => l.includes('lease_lost'))!;
    expect(JSON.parse(line)).toMatchObject({ evaluation_id: id, err: { code: 'lease_lost' } });
    // Still B's result, on both replicas, and still one MLflow run.
    expect(await get(b, id)).toEqual(afterB);
    expect(await get(a, id)).toEqual(afterB);
    await expectOneFinishedRun(afterB, options.experimentPrefix);
  });

  it('the database restarted mid-evaluation: the evaluation completes on its replica, one FINISHED run', async () => {
    const { replicas, options } = await cluster(2);
    const [a, b] = replicas as [Replica, Replica];
    const id = await submitAndWaitForEngine(a, arcRequest('db-restart', 'slow'));
    // A fast restart ends every session of both replicas (the pools, LISTEN) while lm-eval runs.
    const restartedAt = Date.now();
    await restartPostgres(inject('postgres'));
    const restartMs = Date.now() - restartedAt;
    expect((await get(b, id)).status).toBe('running');
    const final = await until('the evaluation to complete', async () => {
      const e = await get(b, id);
      return e.status === 'completed' ? e : undefined;
    });
    // Within the lease the owner keeps it (attempt 1); a restart slower than the lease (a loaded
    // machine) lets a replica claim it after the outage and run attempt 2. Either way: one result.
    console.log(
      `database restart took ${restartMs} ms (lease ${LEASE_MS} ms): attempts ${final.benchmarks[0]!.attempts}`,
    );
    expect(final.benchmarks[0]).toMatchObject({ status: 'completed' });
    await expectOneFinishedRun(final, options.experimentPrefix);
    const synced = await until('tracking to be synced', async () => {
      const e = await get(a, id);
      return e.tracking.state === 'synced' ? e : undefined;
    });
    expect(synced.tracking.pending_operations).toBe(0);
    expect((await api(a, 'GET', '/api/v1/health')).status).toBe(200);
  });

  it('a DELETE on another replica stops the engine on the one running it; SSE on a third follows both', async () => {
    const { replicas } = await cluster(3);
    const [a, b, c] = replicas as [Replica, Replica, Replica];
    const submitted = await api<Evaluation>(a, 'POST', '/api/v1/evaluations', arcRequest('cancel', 'hang'));
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(202);
    const id = submitted.body.id;
    const events = readEvents(`${c.url}/api/v1/evaluations/${id}/events`, (e) => e.type === 'result');
    await until(`lm-eval on ${a.name}`, () =>
      processesMentioning(workRoot(a, id)).length > 0 ? true : undefined,
    );

    const cancelled = await api<Evaluation>(b, 'DELETE', `/api/v1/evaluations/${id}`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect(cancelled.body.benchmarks[0]).toMatchObject({ status: 'cancelled' });
    await until(`the engine on ${a.name} to be stopped`, () =>
      processesMentioning(workRoot(a, id)).length === 0 ? true : undefined,
    );
    expect(await get(a, id)).toMatchObject({ status: 'cancelled' });
    // C saw A's progress (the benchmark started) and B's result.
    const seen = await events;
    expect(seen).toContainEqual(
      expect.objectContaining({ type: 'benchmark_status', benchmark_id: 'arc_easy', status: 'running' }),
    );
    expect(seen.at(-1)).toMatchObject({ type: 'result', status: 'cancelled' });
    const again = await api<{ code: string }>(c, 'DELETE', `/api/v1/evaluations/${id}`);
    expect(again.status).toBe(409);
  });

  it('the queue bound (429) holds across replicas: what waits on any of them counts', async () => {
    const { replicas } = await cluster(2, {
      tracker: 'none',
      evaluation: { max_concurrent_evaluations: 1, max_queued_evaluations: 2 },
    });
    const [a, b] = replicas as [Replica, Replica];
    // Each replica's one slot runs an evaluation whose model never answers.
    const running = [
      await submitAndWaitForEngine(a, arcRequest('bound', 'hang')),
      await submitAndWaitForEngine(b, arcRequest('bound', 'hang')),
    ];
    const post = (r: Replica) =>
      api<Evaluation & { error?: { code: string } }>(r, 'POST', '/api/v1/evaluations', quickRequest('bound'));
    const queued = [await post(a), await post(b)];
    expect(queued.map((r) => [r.status, r.body.status])).toEqual([
      [202, 'pending'],
      [202, 'pending'],
    ]);
    // Two wait, one submitted through each replica: both replicas are full.
    for (const r of [a, b]) {
      const refused = await post(r);
      expect(refused.status, JSON.stringify(refused.body)).toBe(429);
      expect(refused.body.error?.code).toBe('queue_full');
    }
    const list = await api<{ total: number }>(a, 'GET', '/api/v1/evaluations?limit=1');
    expect(list.body.total).toBe(4);
    // A place freed through one replica is a place on the other.
    expect((await api(b, 'DELETE', `/api/v1/evaluations/${queued[0]!.body.id}`)).status).toBe(200);
    expect((await post(a)).status).toBe(202);
    for (const id of running) expect((await api(b, 'DELETE', `/api/v1/evaluations/${id}`)).status).toBe(200);
  });

  it('100 concurrent POSTs over three replicas, half reusing idempotency keys: exactly the expected evaluations, each run once', async () => {
    const { replicas } = await cluster(3, { tracker: 'none' });
    // Requests i and i + 50 share a key and go to different replicas, all at once.
    const responses = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        api<Evaluation>(replicas[i % 3]!, 'POST', '/api/v1/evaluations', quickRequest('burst'), {
          'Idempotency-Key': `burst-${i % 50}`,
        }),
      ),
    );
    expect(responses.map((r) => r.status).filter((s) => s !== 200 && s !== 202)).toEqual([]);
    const byKey = new Map<number, Set<string>>();
    responses.forEach((r, i) => byKey.set(i % 50, (byKey.get(i % 50) ?? new Set()).add(r.body.id)));
    expect([...byKey.values()].every((ids) => ids.size === 1)).toBe(true);
    const ids = [...new Set(responses.map((r) => r.body.id))];
    expect(ids).toHaveLength(50);
    expect(responses.filter((r) => r.status === 202)).toHaveLength(50);

    const list = await until('every evaluation to finish', async () => {
      const page = await api<{ items: Evaluation[]; total: number }>(
        replicas[1]!,
        'GET',
        '/api/v1/evaluations?limit=100',
      );
      return page.body.items.every((e) => e.status === 'completed') ? page.body : undefined;
    });
    expect(list.total).toBe(50);
    expect(list.items.map((e) => e.id).sort()).toEqual([...ids].sort());
    // Each ran once, on one replica.
    expect(list.items.every((e) => e.benchmarks[0]!.attempts === 1)).toBe(true);
  });
});
