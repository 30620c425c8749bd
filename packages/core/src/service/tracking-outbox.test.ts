import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { TrackingOp } from '../extension-points/store.js';
import { PermanentTrackingError } from '../extension-points/tracker.js';
import { silentLogger } from '../logging.js';
import { MemoryStore } from '../stores/memory-store.js';
import { SqliteStore } from '../stores/sqlite-store.js';
import { sampleEvaluation } from '../testing/conformance.js';
import { RecordingTracker } from '../testing/recording-tracker.js';
import { until } from '../testing/until.js';
import type { Evaluation } from '../types.js';
import { SharedBackoff } from './tracking-backoff.js';
import { ARTIFACTS_NOT_STORED_TAG } from './tracking-delivery.js';
import { TrackingOutbox } from './tracking-outbox.js';

const tempRoot = mkdtempSync(join(tmpdir(), 'evalhub-test-'));
afterAll(() => rmSync(tempRoot, { recursive: true, force: true }));

const fast = { trackingBaseDelayMs: 20, trackingMaxDelayMs: 40 };
/** Polls often: the outbox's backoffs here are tens of milliseconds. */
const poll = { timeoutMs: 10_000, intervalMs: 5 };

const ts = 1_700_000_000_000;
const lifecycle = (i = 0): TrackingOp[] => [
  { op: 'start' },
  { op: 'log', batch: { params: { 'model.name': 'm' }, timestamp: ts } },
  { op: 'log', batch: { metrics: { [`b.acc`]: i }, timestamp: ts + 1 } },
  { op: 'artifact', artifact: { name: 'b/results.json', path: '/nonexistent/results.json' } },
  { op: 'log', batch: { metrics: { 'evaluation.duration_seconds': 1 }, timestamp: ts + 2 } },
  { op: 'artifact', artifact: { name: 'summary.json', path: '/nonexistent/summary.json' } },
  { op: 'finish' },
];

async function stored(store: MemoryStore | SqliteStore, overrides: Partial<Evaluation> = {}) {
  const e = sampleEvaluation({ status: 'completed', finished_at: new Date().toISOString(), ...overrides });
  await store.createEvaluation(e);
  return e;
}

async function synced(store: MemoryStore | SqliteStore, id: string) {
  await until(`${id} synced`, async () => (await store.getEvaluation(id))?.tracking.state === 'synced', poll);
  return (await store.getEvaluation(id))!;
}

describe('TrackingOutbox', () => {
  it('delivers an evaluation in journal order: start, merged batch, artifacts, finish carrying the last batch', async () => {
    const store = new MemoryStore();
    const tracker = new RecordingTracker();
    const outbox = new TrackingOutbox(store, tracker, silentLogger(), fast);
    const e = await stored(store);
    await outbox.enqueue(e.id, lifecycle(7));
    const after = await synced(store, e.id);
    await outbox.close();

    // Everything journaled between start and finish went as one batch, with the finish.
    expect(tracker.callsOf(e.id)).toEqual(['startRun', 'logArtifact', 'logArtifact', 'finish']);
    const run = tracker.runs.get(e.id)!;
    expect(run.finishBatch).toEqual({
      params: { 'model.name': 'm' },
      metrics: { 'b.acc': 7, 'evaluation.duration_seconds': 1 },
      tags: {},
      timestamp: ts,
    });
    expect(run.artifacts.map((a) => a.name)).toEqual(['b/results.json', 'summary.json']);
    expect(run.finished?.id).toBe(e.id);
    expect(after.tracking).toMatchObject({ state: 'synced', pending_operations: 0, run_id: `run-${e.id}` });
    expect(await store.countPendingTrackingOps()).toBe(0);
  });

  it('delivers at most tracker.concurrency evaluations at once, each still in order', async () => {
    const store = new MemoryStore();
    const tracker = new RecordingTracker({ concurrency: 2 });
    const outbox = new TrackingOutbox(store, tracker, silentLogger(), fast);
    const release = tracker.hold();
    const evaluations = await Promise.all(Array.from({ length: 6 }, () => stored(store)));
    for (const [i, e] of evaluations.entries()) await outbox.enqueue(e.id, lifecycle(i));
    await until('the first deliveries', () => tracker.calls.length >= 2, poll);
    expect(new Set(tracker.calls.map((c) => c.evaluationId)).size).toBe(2);
    release();
    for (const e of evaluations) await synced(store, e.id);
    await outbox.close();

    expect(tracker.maxEvaluationsInFlight).toBe(2);
    for (const e of evaluations)
      expect(tracker.callsOf(e.id)).toEqual(['startRun', 'logArtifact', 'logArtifact', 'finish']);
  });

  it('backs off globally after a transient failure: no evaluation is delivered during the pause', async () => {
    const store = new MemoryStore();
    const tracker = new RecordingTracker();
    const outbox = new TrackingOutbox(store, tracker, silentLogger(), {
      trackingBaseDelayMs: 400,
      trackingMaxDelayMs: 400,
    });
    tracker.failNext('startRun', new Error('connect ECONNREFUSED'), 1);
    const a = await stored(store);
    await outbox.enqueue(a.id, lifecycle());
    await until(
      'failure',
      async () => (await store.getEvaluation(a.id))!.tracking.last_error !== undefined,
      poll,
    );
    const failedAt = Date.now();
    expect((await store.getEvaluation(a.id))!.tracking).toMatchObject({
      state: 'pending',
      last_error: 'connect ECONNREFUSED',
    });

    // A second evaluation arriving during the pause waits for it too.
    const b = await stored(store);
    await outbox.enqueue(b.id, lifecycle());
    expect(tracker.callsOf(b.id)).toEqual([]);
    await synced(store, a.id);
    await synced(store, b.id);
    await outbox.close();
    const firstOfB = tracker.calls.findIndex((c) => c.evaluationId === b.id);
    expect(firstOfB).toBeGreaterThan(0);
    // The pause was at least half the 400 ms ceiling (equal jitter).
    expect(Date.now() - failedAt).toBeGreaterThanOrEqual(190);
    expect(tracker.callsOf(a.id)).toEqual(['startRun', 'startRun', 'logArtifact', 'logArtifact', 'finish']);
  });

  it('stops an evaluation on a permanent failure, keeps its journal, and delivers it on retry', async () => {
    const store = new MemoryStore();
    const tracker = new RecordingTracker();
    const outbox = new TrackingOutbox(store, tracker, silentLogger(), fast);
    tracker.failNext('startRun', new PermanentTrackingError('experiment name held by a deleted one'));
    const e = await stored(store);
    const other = await stored(store);
    await outbox.enqueue(e.id, lifecycle());
    await until('failed', async () => (await store.getEvaluation(e.id))!.tracking.state === 'failed', poll);
    expect((await store.getEvaluation(e.id))!.tracking).toMatchObject({
      state: 'failed',
      last_error: 'experiment name held by a deleted one',
      pending_operations: 7,
    });
    // One evaluation's permanent failure does not pause the others.
    await outbox.enqueue(other.id, lifecycle());
    await synced(store, other.id);

    outbox.retry(e.id);
    const after = await synced(store, e.id);
    await outbox.close();
    expect(after.tracking.last_error).toBeUndefined();
    expect(tracker.runs.get(e.id)?.finished).toBeDefined();
  });

  it('replays the journal after a restart (SQLite), reattaching to the run it created', async () => {
    const path = join(mkdtempSync(join(tempRoot, 'outbox-')), 'evalhub.db');
    const tracker = new RecordingTracker();
    let store = new SqliteStore({ path });
    let outbox = new TrackingOutbox(store, tracker, silentLogger(), {
      trackingBaseDelayMs: 60_000,
      trackingMaxDelayMs: 60_000,
    });
    const e = await stored(store);
    tracker.failNext('finish', new Error('socket hang up'));
    await outbox.enqueue(e.id, lifecycle());
    await until(
      'failure',
      async () => (await store.getEvaluation(e.id))!.tracking.last_error !== undefined,
      poll,
    );
    await outbox.close();
    await store.close();
    expect(tracker.callsOf(e.id)).toEqual(['startRun', 'logArtifact', 'logArtifact', 'finish']);

    store = new SqliteStore({ path });
    outbox = new TrackingOutbox(store, tracker, silentLogger(), fast);
    expect((await store.getEvaluation(e.id))!.tracking).toMatchObject({
      run_id: `run-${e.id}`,
      start_attempts: 1,
    });
    expect(await outbox.recover()).toBe(1);
    await synced(store, e.id);
    await outbox.close();
    await store.close();
    // Artifacts already delivered are not sent again; the run is resumed, not created twice.
    expect(tracker.callsOf(e.id).slice(4)).toEqual(['resumeRun', 'finish']);
    expect(tracker.runs.get(e.id)!.finishBatch?.metrics).toEqual({
      'b.acc': 0,
      'evaluation.duration_seconds': 1,
    });
  });

  it('closes the run when an artifact is refused for good, naming it in a tag', async () => {
    const store = new MemoryStore();
    const tracker = new RecordingTracker();
    const outbox = new TrackingOutbox(store, tracker, silentLogger(), fast);
    tracker.failNext(
      'logArtifact',
      new PermanentTrackingError('artifact store is a local path'),
      1,
      'b/results.json',
    );
    const e = await stored(store);
    await outbox.enqueue(e.id, lifecycle().slice(0, 4));
    await until(
      'refusal',
      async () => (await store.getEvaluation(e.id))!.tracking.last_error !== undefined,
      poll,
    );
    expect(await store.countPendingTrackingOps()).toBe(1);
    await outbox.enqueue(e.id, lifecycle().slice(4));
    const after = await synced(store, e.id);
    await outbox.close();

    const run = tracker.runs.get(e.id)!;
    expect(run.finished).toBeDefined();
    expect(run.finishBatch?.tags).toEqual({ [ARTIFACTS_NOT_STORED_TAG]: 'b/results.json' });
    expect(run.artifacts.map((a) => a.name)).toEqual(['summary.json']);
    expect(after.tracking.last_error).toMatch(/b\/results\.json.*artifact store is a local path/);
    expect(await store.countPendingTrackingOps()).toBe(0);
  });

  it('saves the evaluation document once per delivery round, not per operation', async () => {
    class CountingStore extends MemoryStore {
      saves = 0;
      override async saveEvaluation(e: Evaluation): Promise<void> {
        this.saves++;
        await super.saveEvaluation(e);
      }
    }
    const store = new CountingStore();
    const tracker = new RecordingTracker();
    const outbox = new TrackingOutbox(store, tracker, silentLogger(), fast);
    const e = await stored(store);
    const many: TrackingOp[] = Array.from({ length: 50 }, (_, i) => ({
      op: 'log',
      batch: { metrics: { [`m${i}`]: i }, timestamp: ts },
    }));
    await outbox.enqueue(e.id, [{ op: 'start' }, ...many, { op: 'finish' }]);
    await synced(store, e.id);
    await outbox.close();
    // start_attempts before the run is created, then one save with the outcome.
    expect(store.saves).toBe(2);
  });
});

describe('SharedBackoff', () => {
  it('pauses for equal jitter of min(max, base·2^(n-1)) and resets on success', () => {
    let now = 0;
    const halfway = new SharedBackoff(
      { baseDelayMs: 1_000, maxDelayMs: 5_000 },
      () => 0.5,
      () => now,
    );
    expect([halfway.failed(), halfway.failed(), halfway.failed(), halfway.failed()]).toEqual([
      750, 1_500, 3_000, 3_750,
    ]);
    expect(halfway.consecutiveFailures).toBe(4);
    expect(halfway.remainingMs()).toBe(3_750);
    now = 1_000;
    expect(halfway.remainingMs()).toBe(2_750);
    halfway.succeeded();
    expect(halfway.remainingMs()).toBe(0);
    expect(halfway.failed()).toBe(750);

    const low = new SharedBackoff(
      { baseDelayMs: 1_000, maxDelayMs: 5_000 },
      () => 0,
      () => 0,
    );
    const high = new SharedBackoff(
      { baseDelayMs: 1_000, maxDelayMs: 5_000 },
      () => 1,
      () => 0,
    );
    expect([low.failed(), low.failed()]).toEqual([500, 1_000]);
    expect([high.failed(), high.failed()]).toEqual([1_000, 2_000]);
  });
});
