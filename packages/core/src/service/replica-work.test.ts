import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConflictError, LeaseLostError } from '../errors.js';
import type {
  ClaimOptions,
  EvaluationLease,
  EvaluationLeases,
  TrackingOp,
} from '../extension-points/store.js';
import { silentLogger } from '../logging.js';
import { MemoryStore } from '../stores/memory-store.js';
import { NoneTracker } from '../trackers/none-tracker.js';
import { sampleEvaluation } from '../testing/conformance.js';
import { RecordingTracker } from '../testing/recording-tracker.js';
import type { BenchmarkRun, Evaluation } from '../types.js';
import { evaluationScheduler } from './evaluation-scheduler.js';
import { EvaluationTracking } from './evaluation-tracking.js';
import { EventHub } from './event-hub.js';
import { LiveEvaluations } from './live-evaluations.js';
import { ReplicaWork } from './replica-work.js';
import { bench, evaluationRunner, removeTempDirs, testProviders } from './runner-harness.test-support.js';
import { TrackingOutbox } from './tracking-outbox.js';

/** How long a state the units reach asynchronously is waited for (a slow CI machine). */
const eventually = { timeout: 10_000, interval: 5 };

/**
 * A memory store with the lease semantics of EvaluationLeases (see store-postgres' leases.ts): an
 * evaluation needs an owner while unfinished or with tracking ops journaled; leased writes are
 * fenced by owner, token and expiry.
 */
class LeasedMemoryStore extends MemoryStore {
  readonly rows = new Map<string, { owner?: string; token: number; until: number }>();
  private row = (id: string) => this.rows.get(id) ?? this.rows.set(id, { token: 0, until: 0 }).get(id)!;
  private lease = (id: string): EvaluationLease => {
    const r = this.row(id);
    return { evaluationId: id, owner: r.owner!, token: r.token, expiresAt: new Date(r.until) };
  };
  private held = (l: EvaluationLease): void => {
    const r = this.rows.get(l.evaluationId);
    if (!r || r.owner !== l.owner || r.token !== l.token || r.until <= Date.now())
      throw new LeaseLostError(l.evaluationId, l.token, 'another replica holds it');
  };
  readonly leases: EvaluationLeases = {
    claim: async (owner: string, o: ClaimOptions) => {
      const unfinishedIds = (await this.listUnfinished()).map((e) => e.id);
      const journaled = (await this.pendingTrackingOps()).map((op) => op.evaluationId);
      const out: EvaluationLease[] = [];
      for (const id of new Set([...unfinishedIds, ...journaled])) {
        const r = this.row(id);
        if (out.length >= o.limit || (o.ids && !o.ids.includes(id))) continue;
        if (r.owner && r.until > Date.now() && !(o.takeOver && o.ids)) continue;
        Object.assign(r, { owner, token: r.token + 1, until: Date.now() + o.leaseMs });
        out.push(this.lease(id));
      }
      return out;
    },
    renew: async (l, leaseMs) => {
      this.held(l);
      this.row(l.evaluationId).until = Date.now() + leaseMs;
      return this.lease(l.evaluationId);
    },
    release: async (l) => {
      const r = this.rows.get(l.evaluationId);
      if (r?.owner === l.owner && r.token === l.token) r.owner = undefined;
    },
    current: async (id) => (this.rows.get(id)?.owner ? this.lease(id) : undefined),
    saveEvaluation: async (l, e) => (this.held(l), this.saveEvaluation(e)),
    appendTrackingOps: async (l, ops) => (this.held(l), this.appendTrackingOps(l.evaluationId, ops)),
    completeTrackingOps: async (l, seqs) => (this.held(l), this.completeTrackingOps(seqs)),
  };

  /** Another replica holds `id` (`expired`: a replica that died). */
  heldElsewhere(id: string, expired = false): void {
    const r = this.row(id);
    Object.assign(r, { owner: 'other', token: r.token + 1, until: Date.now() + (expired ? -1 : 60_000) });
  }

  owner(id: string): string | undefined {
    return this.rows.get(id)?.owner;
  }
}

const works: ReplicaWork[] = [];
afterEach(async () => {
  await Promise.all(works.splice(0).map((w) => w.close()));
  await removeTempDirs();
});

const unfinished = (benchmarks: BenchmarkRun[], patch: Partial<Evaluation> = {}) =>
  sampleEvaluation({ status: 'pending', started_at: undefined, benchmarks, ...patch });

/** One replica wired the way EvaluationService wires it, over the leased memory store. */
async function replica(
  store: LeasedMemoryStore,
  o: { maxConcurrent?: number; tracker?: RecordingTracker } = {},
) {
  const logger = silentLogger();
  const events = new EventHub();
  const { held, providers } = testProviders();
  const outbox = new TrackingOutbox(store, o.tracker ?? new NoneTracker(), logger, {
    trackingBaseDelayMs: 20,
  });
  const maxConcurrentEvaluations = o.maxConcurrent ?? 2;
  const work = new ReplicaWork({
    store,
    hubEvents: events,
    providers,
    logger,
    leaseMs: 60_000,
    maxConcurrentEvaluations,
    maxAttempts: 3,
    resumable: false,
    trackingEnabled: outbox.enabled,
  });
  works.push(work);
  const live = new LiveEvaluations(work.documents, events, (id, ev) => work.published(id, ev));
  outbox.connect({
    getEvaluation: async (id) => live.snapshot(id) ?? store.getEvaluation(id),
    updateTracking: (id, patch) => live.updateTracking(id, patch),
    ...work.trackingHost,
  });
  const tracking = new EvaluationTracking(outbox, outbox.enabled, logger);
  const { runner } = await evaluationRunner({
    prefix: 'evalhub-replica-work-',
    store: work.documents,
    live,
    events,
    providers,
    tracking,
    logger,
  });
  const settings = { maxConcurrentEvaluations, maxQueuedEvaluations: 10 };
  const scheduler = evaluationScheduler({ settings, store, live, runner, logger, replicas: work });
  work.attach({ live, scheduler, runner, outbox });
  /** Resolves with each evaluation as this replica finishes it. */
  const finished = new Map<string, Evaluation>();
  events.listen(
    (ev) => void (ev.type === 'result' && ev.evaluation && finished.set(ev.evaluation_id, ev.evaluation)),
  );
  return { work, live, held, finished };
}

describe('ReplicaWork', () => {
  it("claims unfinished work up to its free slots, not a live replica's, and fills a slot as it frees", async () => {
    const store = new LeasedMemoryStore();
    const [a, b, c, theirs] = [1, 2, 3, 4].map(() => unfinished([bench('h', 'held')]));
    for (const e of [a!, b!, theirs!, c!]) await store.createEvaluation(e);
    store.heldElsewhere(theirs!.id);
    const r = await replica(store);

    expect(await r.work.start()).toBe(2);
    const [first, second] = await r.held.started(2);
    expect([first, second].map((x) => x!.task.evaluationId)).toEqual([a!.id, b!.id]);
    expect([a, b, c].map((e) => store.owner(e!.id))).toEqual([
      r.work.keeper.owner,
      r.work.keeper.owner,
      undefined,
    ]);

    // A run that ends frees its lease (no tracking to deliver) and its slot, which takes the next one.
    first!.end({ metrics: { score: 1 } });
    const third = (await r.held.started(3))[2]!;
    expect(third.task.evaluationId).toBe(c!.id);
    await vi.waitFor(() => expect(store.owner(a!.id)).toBeUndefined(), eventually);
    expect((await store.getEvaluation(a!.id))!.status).toBe('completed');
    expect(store.owner(theirs!.id)).toBe('other');
  });

  it('resumes the evaluation of a replica that died the way a restart does', async () => {
    const store = new LeasedMemoryStore();
    const e = unfinished(
      [
        bench('ok', 'scripted', { status: 'completed', attempts: 1, results: { metrics: { score: 1 } } }),
        bench('ok2', 'scripted', { status: 'running', attempts: 1, progress: { fraction: 0.5 } }),
      ],
      { status: 'running', started_at: new Date().toISOString() },
    );
    await store.createEvaluation(e);
    store.heldElsewhere(e.id, true);
    const r = await replica(store);
    expect(await r.work.start()).toBe(1);
    await vi.waitFor(() => expect(r.finished.has(e.id)).toBe(true), eventually);
    const done = (await store.getEvaluation(e.id))!;
    expect(done.status).toBe('completed');
    expect(done.benchmarks.map((x) => x.attempts)).toEqual([1, 2]);
  });

  it('takes a submission when a slot is free and leaves it to the others otherwise', async () => {
    const store = new LeasedMemoryStore();
    const tracker = new RecordingTracker();
    const r = await replica(store, { maxConcurrent: 1, tracker });
    await r.work.start();
    const running = unfinished([bench('h', 'held')]);
    const waiting = unfinished([bench('ok')]);
    const startOps: TrackingOp[] = [{ op: 'start' }];
    for (const e of [running, waiting]) {
      await store.createEvaluation(e);
      await r.work.submitted(e, startOps);
    }
    const [run] = await r.held.started(1);
    expect(store.owner(running.id)).toBe(r.work.keeper.owner);
    // No slot: journaled, not claimed.
    expect(store.owner(waiting.id)).toBeUndefined();
    expect(r.live.has(waiting.id)).toBe(false);
    expect((await store.pendingTrackingOps(waiting.id)).map((s) => s.op)).toEqual(startOps);

    run!.end({ metrics: { score: 1 } });
    await vi.waitFor(() => expect(r.finished.has(waiting.id)).toBe(true), eventually);
    // Tracking delivered, then the lease given back.
    await vi.waitFor(
      () => expect([running, waiting].map((e) => store.owner(e.id))).toEqual([undefined, undefined]),
      eventually,
    );
    expect(tracker.runs.get(waiting.id)?.finished?.status).toBe('completed');
    expect(await store.pendingTrackingOps()).toEqual([]);
  });

  it("delivers a finished evaluation's leftover tracking journal, then gives its lease back", async () => {
    const store = new LeasedMemoryStore();
    const tracker = new RecordingTracker();
    const e = sampleEvaluation({ status: 'completed', finished_at: new Date().toISOString() });
    await store.createEvaluation(e);
    await store.appendTrackingOps(e.id, [{ op: 'start' }, { op: 'finish' }]);
    const r = await replica(store, { tracker });
    expect(await r.work.start()).toBe(1);
    expect(r.live.has(e.id)).toBe(false);
    await vi.waitFor(() => expect(store.owner(e.id)).toBeUndefined(), eventually);
    expect(tracker.callsOf(e.id)).toEqual(['startRun', 'finish']);
    expect(await store.pendingTrackingOps(e.id)).toEqual([]);
  });

  it('cancels an evaluation another replica runs: takes its lease over and closes it as cancelled', async () => {
    const store = new LeasedMemoryStore();
    const e = unfinished([bench('ok', 'scripted', { status: 'running', attempts: 1 }), bench('ok2')], {
      status: 'running',
    });
    await store.createEvaluation(e);
    store.heldElsewhere(e.id);
    const r = await replica(store);
    const cancelled = await r.work.cancel(e.id);
    expect(cancelled).toMatchObject({ status: 'cancelled', error: { code: 'cancelled' } });
    expect(cancelled.benchmarks.map((b) => [b.status, b.error?.message])).toEqual([
      ['cancelled', 'Cancelled while running.'],
      ['cancelled', 'Cancelled before it started.'],
    ]);
    expect((await store.getEvaluation(e.id))!.status).toBe('cancelled');
    // Taken over with a new token (the former holder's writes are fenced), then given back here.
    expect(store.rows.get(e.id)!.token).toBe(2);
    await vi.waitFor(() => expect(store.owner(e.id)).toBeUndefined(), eventually);

    const again = r.work.cancel(e.id);
    await expect(again).rejects.toBeInstanceOf(ConflictError);
    await expect(again).rejects.toMatchObject({ code: 'evaluation_finished', message: /\(cancelled\)/ });
    await expect(r.work.cancel('unknown')).rejects.toMatchObject({ message: /\(gone\)/ });
  });

  it('stops an evaluation whose lease another replica took: aborted, nothing more written, done undefined', async () => {
    const store = new LeasedMemoryStore();
    const e = unfinished([bench('h', 'held'), bench('h', 'held')]);
    await store.createEvaluation(e);
    const r = await replica(store);
    await r.work.start();
    const [first] = await r.held.started(1);
    const entry = r.live.get(e.id)!;
    await store.leases.claim('other', { ids: [e.id], takeOver: true, leaseMs: 60_000, limit: 1 });
    const before = await store.getEvaluation(e.id);

    first!.end({ metrics: { score: 1 } });
    await expect(entry.done).resolves.toBeUndefined();
    expect(entry.abort.signal.reason).toBe('lease_lost');
    expect(r.live.has(e.id)).toBe(false);
    expect(r.work.keeper.has(e.id)).toBe(false);
    expect(await store.getEvaluation(e.id)).toEqual(before);
    expect(r.held.runs).toHaveLength(1);
    expect(store.owner(e.id)).toBe('other');
  });

  it('claims nothing once stopping, and gives every lease back on close', async () => {
    const store = new LeasedMemoryStore();
    const e = unfinished([bench('h', 'held')]);
    await store.createEvaluation(e);
    const r = await replica(store, { maxConcurrent: 1 });
    r.work.stopClaiming();
    expect(await r.work.start()).toBe(0);
    expect(store.owner(e.id)).toBeUndefined();

    const other = await replica(store, { maxConcurrent: 1 });
    expect(await other.work.start()).toBe(1);
    await other.held.started(1);
    await other.work.close();
    expect(store.owner(e.id)).toBeUndefined();
  });
});
