import type { EvaluationStore, StoredTrackingOp, TrackingOp } from '../extension-points/store.js';
import {
  PermanentTrackingError,
  type TrackedArtifact,
  type Tracker,
  type TrackerRun,
  type TrackingBatch,
} from '../extension-points/tracker.js';
import { describeError } from '../errors.js';
import type { Logger } from '../logging.js';
import type { Evaluation, TrackingInfo } from '../types.js';

export interface TrackingOutboxOptions {
  store: EvaluationStore;
  tracker: Tracker;
  logger: Logger;
  /** Reads the current evaluation (live copy if running). */
  getEvaluation(id: string): Promise<Evaluation | undefined>;
  /** Applies a change to the evaluation's tracking info and persists it. */
  updateTracking(id: string, patch: Partial<TrackingInfo>): Promise<void>;
  /** First retry delay; doubles per failure up to maxDelayMs, with full jitter. */
  baseDelayMs?: number;
  maxDelayMs?: number;
}

function mergeBatches(batches: TrackingBatch[]): TrackingBatch {
  const merged: Required<TrackingBatch> = {
    params: {},
    metrics: {},
    tags: {},
    timestamp: batches[0]!.timestamp,
  };
  for (const b of batches) {
    Object.assign(merged.params, b.params);
    Object.assign(merged.metrics, b.metrics);
    Object.assign(merged.tags, b.tags);
  }
  return merged;
}

/**
 * Durable tracking: every tracking operation is journaled in the store first, then delivered to the
 * tracker in order, per evaluation. When the tracker fails, the operations stay in the journal and are
 * retried with backoff — also after a restart — so an outage never loses a result. Between the
 * run's start and finish, consecutive params/metrics/tags operations are merged into one delivery,
 * sent concurrently with the artifact uploads that follow them.
 */
export class TrackingOutbox {
  private readonly runs = new Map<string, TrackerRun>();
  private readonly draining = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly o: TrackingOutboxOptions) {}

  get trackerName(): string {
    return this.o.tracker.name;
  }

  async enqueue(evaluationId: string, ops: TrackingOp[]): Promise<void> {
    await this.o.store.appendTrackingOps(evaluationId, ops);
    this.kick(evaluationId);
  }

  /** Deliver pending operations of an evaluation now (coalesces concurrent calls). */
  kick(evaluationId: string): void {
    if (this.closed) return;
    const timer = this.timers.get(evaluationId);
    if (timer) {
      clearTimeout(timer);
      this.timers.delete(evaluationId);
    }
    if (this.draining.has(evaluationId)) {
      this.again.add(evaluationId);
      return;
    }
    const p = this.drain(evaluationId).finally(() => {
      this.draining.delete(evaluationId);
      if (this.again.delete(evaluationId)) this.kick(evaluationId);
    });
    this.draining.set(evaluationId, p);
  }

  /** Resume delivery of everything journaled before a restart. */
  async recover(): Promise<number> {
    const ops = await this.o.store.pendingTrackingOps();
    const ids = [...new Set(ops.map((o) => o.evaluationId))];
    for (const id of ids) this.kick(id);
    return ids.length;
  }

  /** Retry an evaluation whose tracking failed permanently (after the cause was fixed). */
  retry(evaluationId: string): void {
    this.failures.delete(evaluationId);
    this.kick(evaluationId);
  }

  async pendingCount(): Promise<number> {
    return this.o.store.countPendingTrackingOps();
  }

  /** Resolves when nothing is being delivered right now (pending retries may remain). */
  async idle(): Promise<void> {
    while (this.draining.size > 0) await Promise.allSettled([...this.draining.values()]);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await this.idle();
  }

  private async runFor(evaluation: Evaluation, first: StoredTrackingOp): Promise<TrackerRun> {
    const cached = this.runs.get(evaluation.id);
    if (cached) return cached;
    const t = evaluation.tracking;
    let run: TrackerRun;
    if (t.run_id !== undefined) {
      run = await this.o.tracker.resumeRun(evaluation, {
        ...(t.experiment_name !== undefined ? { experiment_name: t.experiment_name } : {}),
        ...(t.experiment_id !== undefined ? { experiment_id: t.experiment_id } : {}),
        run_id: t.run_id,
        ...(t.links ? { links: t.links } : {}),
      });
    } else {
      if (first.op.op !== 'start')
        this.o.logger.warn({ evaluation_id: evaluation.id }, 'tracking run missing; starting one');
      // Recorded before the attempt, so a replay (even after a crash) is known to be one.
      const start_attempts = (t.start_attempts ?? 0) + 1;
      await this.o.updateTracking(evaluation.id, { start_attempts });
      run = await this.o.tracker.startRun({ ...evaluation, tracking: { ...t, start_attempts } });
      await this.o.updateTracking(evaluation.id, { ...run.info });
    }
    this.runs.set(evaluation.id, run);
    return run;
  }

  private async drain(id: string): Promise<void> {
    const ops = await this.o.store.pendingTrackingOps(id);
    if (ops.length === 0) return;
    const evaluation = await this.o.getEvaluation(id);
    if (!evaluation) {
      this.o.logger.error(
        { evaluation_id: id },
        'tracking operations for an unknown evaluation; dropping them',
      );
      await this.o.store.completeTrackingOps(ops.map((o) => o.seq));
      return;
    }
    try {
      const run = await this.runFor(evaluation, ops[0]!);
      let finished = false;
      for (let i = 0; i < ops.length;) {
        const current = ops[i]!;
        if (current.op.op === 'log' || current.op.op === 'artifact') {
          // Params/metrics/tags and artifacts up to the next start/finish are independent of each
          // other: the log operations go as one merged batch, concurrently with the artifact uploads.
          let j = i;
          while (j < ops.length && (ops[j]!.op.op === 'log' || ops[j]!.op.op === 'artifact')) j++;
          const group = ops.slice(i, j);
          const logs = group.filter((o) => o.op.op === 'log');
          const artifacts = group.filter((o) => o.op.op === 'artifact');
          // Right before the finish, the batch travels with it (one request less for most trackers).
          const closing = ops[j]?.op.op === 'finish';
          const deliveries: { seqs: number[]; send: () => Promise<void> }[] = artifacts.map((o) => ({
            seqs: [o.seq],
            send: () => run.logArtifact((o.op as { artifact: TrackedArtifact }).artifact),
          }));
          const batch = logs.length
            ? mergeBatches(logs.map((o) => (o.op as { batch: TrackingBatch }).batch))
            : undefined;
          if (batch && !closing)
            deliveries.unshift({ seqs: logs.map((o) => o.seq), send: () => run.log(batch) });
          const results = await Promise.allSettled(deliveries.map((d) => d.send()));
          const done = deliveries.flatMap((d, k) => (results[k]!.status === 'fulfilled' ? d.seqs : []));
          if (done.length) await this.o.store.completeTrackingOps(done);
          const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
          if (failed) throw failed.reason;
          if (batch && closing) {
            const finish = ops[j]!;
            await run.finish((await this.o.getEvaluation(id)) ?? evaluation, batch);
            await this.o.store.completeTrackingOps([...logs.map((o) => o.seq), finish.seq]);
            finished = true;
            i = j + 1;
            continue;
          }
          i = j;
          continue;
        }
        if (current.op.op === 'finish') {
          const final = (await this.o.getEvaluation(id)) ?? evaluation;
          await run.finish(final);
          finished = true;
        }
        await this.o.store.completeTrackingOps([current.seq]);
        i++;
      }
      this.failures.delete(id);
      if (finished) this.runs.delete(id);
      const remaining = (await this.o.store.pendingTrackingOps(id)).length;
      await this.o.updateTracking(id, {
        state: remaining === 0 && finished ? 'synced' : 'pending',
        pending_operations: remaining,
        synced_at: new Date().toISOString(),
        last_error: undefined,
      });
    } catch (err) {
      const message = describeError(err);
      const remaining = (await this.o.store.pendingTrackingOps(id)).length;
      if (err instanceof PermanentTrackingError) {
        this.o.logger.error(
          { evaluation_id: id, err: message },
          'tracking failed permanently; operations kept for a retry',
        );
        this.runs.delete(id);
        await this.o.updateTracking(id, {
          state: 'failed',
          last_error: message,
          pending_operations: remaining,
        });
        return;
      }
      const n = (this.failures.get(id) ?? 0) + 1;
      this.failures.set(id, n);
      const cap = Math.min(this.o.maxDelayMs ?? 60_000, (this.o.baseDelayMs ?? 1_000) * 2 ** (n - 1));
      const delay = Math.round(cap / 2 + Math.random() * (cap / 2));
      this.o.logger.warn(
        { evaluation_id: id, err: message, attempt: n, retry_in_ms: delay },
        'tracking delivery failed; will retry',
      );
      await this.o.updateTracking(id, {
        state: 'pending',
        last_error: message,
        pending_operations: remaining,
      });
      if (!this.closed) {
        const t = setTimeout(() => {
          this.timers.delete(id);
          this.kick(id);
        }, delay);
        t.unref();
        this.timers.set(id, t);
      }
    }
  }
}
