import 'reflect-metadata';
import { inject, injectable } from 'tsyringe';
import {
  StoreToken,
  type EvaluationStore,
  type StoredTrackingOp,
  type TrackingOp,
} from '../extension-points/store.js';
import { TrackerToken, type Tracker, type TrackerRun } from '../extension-points/tracker.js';
import { describeError, hasErrorCode } from '../errors.js';
import type { Logger } from '../logging.js';
import type { Evaluation, TrackingInfo } from '../types.js';
import { SharedBackoff } from './tracking-backoff.js';
import { deliverOps, type UnstoredArtifact } from './tracking-delivery.js';
import { LoggerToken, ServiceSettingsToken, type ServiceSettings } from './tokens.js';

/** How many evaluations are delivered at once when the tracker does not say. */
export const DEFAULT_TRACKING_CONCURRENCY = 4;

/**
 * Where the outbox reads an evaluation and records its tracking state. The evaluation service
 * connects itself (it owns live evaluations and their writes); unconnected, the outbox uses the store.
 */
export interface TrackingHost {
  getEvaluation(id: string): Promise<Evaluation | undefined>;
  /** Applies a change to the evaluation's tracking info and persists it. */
  updateTracking(id: string, patch: Partial<TrackingInfo>): Promise<void>;
  /**
   * Replicas sharing a store with leases: whether this one holds the evaluation's lease, so may
   * drain its journal. Absent: this process delivers everything.
   */
  owns?(id: string): boolean;
  /** Journal writes carrying the lease (default: the store's). */
  appendTrackingOps?(id: string, ops: TrackingOp[]): Promise<void>;
  completeTrackingOps?(id: string, seqs: number[]): Promise<void>;
  /** The evaluation's journal is empty after a delivery; `finished`: its run's finish was delivered. */
  drained?(id: string, finished: boolean): void;
}

type Outcome = 'done' | 'transient' | 'permanent';

/**
 * Durable tracking: every tracking operation is journaled in the store first, then delivered to the
 * tracker, per evaluation in journal order. At most `tracker.concurrency` evaluations (default 4)
 * are delivered at once; the others wait their turn in arrival order. When the tracker fails
 * transiently, the operations stay in the journal and the whole outbox pauses (SharedBackoff), also
 * after a restart (`recover`), so an outage never loses a result. A PermanentTrackingError stops
 * that one evaluation (`tracking.state = failed`) until `retry` or its next operation.
 * The evaluation document is saved at most twice per delivery round: before a run is created
 * (`start_attempts`) and once with the outcome.
 */
@injectable()
export class TrackingOutbox {
  private readonly runs = new Map<string, TrackerRun>();
  private readonly unstored = new Map<string, Map<number, UnstoredArtifact>>();
  private readonly active = new Map<string, Promise<void>>();
  /** Evaluations waiting for a delivery slot, in arrival order. */
  private readonly ready: string[] = [];
  private readonly queued = new Set<string>();
  /** Kicked again while being delivered: go once more afterwards. */
  private readonly again = new Set<string>();
  private readonly backoff: SharedBackoff;
  private readonly concurrency: number;
  private resumeTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private host: TrackingHost;

  constructor(
    @inject(StoreToken) private readonly store: EvaluationStore,
    @inject(TrackerToken) private readonly tracker: Tracker,
    @inject(LoggerToken) private readonly logger: Logger,
    @inject(ServiceSettingsToken)
    settings: Pick<ServiceSettings, 'trackingBaseDelayMs' | 'trackingMaxDelayMs'> = {},
  ) {
    this.backoff = new SharedBackoff({
      baseDelayMs: settings.trackingBaseDelayMs ?? 1_000,
      maxDelayMs: settings.trackingMaxDelayMs ?? 60_000,
    });
    this.concurrency = Math.max(1, Math.floor(tracker.concurrency ?? DEFAULT_TRACKING_CONCURRENCY));
    this.host = {
      getEvaluation: (id) => store.getEvaluation(id),
      updateTracking: async (id, patch) => {
        const e = await store.getEvaluation(id);
        if (!e) return;
        e.tracking = mergeTracking(e.tracking, patch);
        await store.saveEvaluation(e);
      },
    };
  }

  /** The owner of the evaluations takes over reading them and recording their tracking state. */
  connect(host: TrackingHost): void {
    this.host = host;
  }

  get trackerName(): string {
    return this.tracker.name;
  }

  /** False for a tracker that records nothing: nothing is journaled, tracking shows `disabled`. */
  get enabled(): boolean {
    return this.tracker.enabled !== false;
  }

  async enqueue(evaluationId: string, ops: TrackingOp[]): Promise<void> {
    if (this.host.appendTrackingOps) await this.host.appendTrackingOps(evaluationId, ops);
    else await this.store.appendTrackingOps(evaluationId, ops);
    this.kick(evaluationId);
  }

  private complete(evaluationId: string, seqs: number[]): Promise<void> {
    return this.host.completeTrackingOps
      ? this.host.completeTrackingOps(evaluationId, seqs)
      : this.store.completeTrackingOps(seqs);
  }

  /** Deliver pending operations of an evaluation as soon as a slot is free (coalesces calls). */
  kick(evaluationId: string): void {
    if (this.closed) return;
    if (this.host.owns && !this.host.owns(evaluationId)) return;
    if (this.active.has(evaluationId)) {
      this.again.add(evaluationId);
      return;
    }
    if (!this.queued.has(evaluationId)) {
      this.queued.add(evaluationId);
      this.ready.push(evaluationId);
    }
    this.pump();
  }

  /** Resume delivery of everything journaled before a restart. */
  async recover(): Promise<number> {
    const ops = await this.store.pendingTrackingOps();
    const ids = [...new Set(ops.map((o) => o.evaluationId))];
    for (const id of ids) this.kick(id);
    return ids.length;
  }

  /** Forgets an evaluation whose delivery moved to another replica (its lease was lost). */
  forget(evaluationId: string): void {
    this.runs.delete(evaluationId);
    this.unstored.delete(evaluationId);
    this.again.delete(evaluationId);
    if (this.queued.delete(evaluationId)) this.ready.splice(this.ready.indexOf(evaluationId), 1);
  }

  /** Retry an evaluation whose tracking failed permanently (after the cause was fixed); ends a pause. */
  retry(evaluationId: string): void {
    this.backoff.reset();
    this.kick(evaluationId);
  }

  async pendingCount(): Promise<number> {
    return this.store.countPendingTrackingOps();
  }

  /** Resolves when nothing is being delivered right now (deliveries waiting out a pause may remain). */
  async idle(): Promise<void> {
    while (this.active.size > 0) await Promise.allSettled([...this.active.values()]);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.resumeTimer) clearTimeout(this.resumeTimer);
    this.resumeTimer = undefined;
    await this.idle();
  }

  private pump(): void {
    if (this.closed) return;
    const wait = this.backoff.remainingMs();
    if (wait > 0) {
      if (!this.resumeTimer && this.ready.length > 0) {
        this.resumeTimer = setTimeout(() => {
          this.resumeTimer = undefined;
          this.pump();
        }, wait);
        this.resumeTimer.unref();
      }
      return;
    }
    while (this.active.size < this.concurrency && this.ready.length > 0) {
      const id = this.ready.shift()!;
      this.queued.delete(id);
      const p = this.drain(id)
        .then((outcome) => {
          if (outcome === 'transient') this.again.add(id);
        })
        .catch((err: unknown) =>
          this.logger.error({ evaluation_id: id, err: describeError(err) }, 'tracking delivery crashed'),
        )
        .finally(() => {
          this.active.delete(id);
          if (this.again.delete(id)) this.kick(id);
          else this.pump();
        });
      this.active.set(id, p);
    }
  }

  private async runFor(
    evaluation: Evaluation,
    first: StoredTrackingOp,
    patch: Partial<TrackingInfo>,
  ): Promise<TrackerRun> {
    const cached = this.runs.get(evaluation.id);
    if (cached) return cached;
    const t = evaluation.tracking;
    let run: TrackerRun;
    if (t.run_id !== undefined) {
      run = await this.tracker.resumeRun(evaluation, {
        ...(t.experiment_name !== undefined ? { experiment_name: t.experiment_name } : {}),
        ...(t.experiment_id !== undefined ? { experiment_id: t.experiment_id } : {}),
        run_id: t.run_id,
        ...(t.links ? { links: t.links } : {}),
      });
    } else {
      if (first.op.op !== 'start')
        this.logger.warn({ evaluation_id: evaluation.id }, 'tracking run missing; starting one');
      // Recorded before the attempt, so a replay (even after a crash) is known to be one.
      const start_attempts = (t.start_attempts ?? 0) + 1;
      await this.host.updateTracking(evaluation.id, { start_attempts });
      run = await this.tracker.startRun({ ...evaluation, tracking: { ...t, start_attempts } });
      Object.assign(patch, run.info);
    }
    this.runs.set(evaluation.id, run);
    return run;
  }

  private async drain(id: string): Promise<Outcome> {
    const ops = await this.store.pendingTrackingOps(id);
    if (ops.length === 0) return 'done';
    const evaluation = await this.host.getEvaluation(id);
    if (!evaluation) {
      this.logger.error(
        { evaluation_id: id },
        'tracking operations for an unknown evaluation; dropping them',
      );
      await this.complete(
        id,
        ops.map((o) => o.seq),
      );
      return 'done';
    }
    const patch: Partial<TrackingInfo> = {};
    const unstored = this.unstored.get(id) ?? new Map<number, UnstoredArtifact>();
    this.unstored.set(id, unstored);
    const before = unstored.size;
    try {
      const run = await this.runFor(evaluation, ops[0]!, patch);
      const finished = await deliverOps(ops, {
        run,
        complete: (seqs) => this.complete(id, seqs),
        current: async () => (await this.host.getEvaluation(id)) ?? evaluation,
        unstored,
      });
      this.backoff.succeeded();
      for (const u of [...unstored.values()].slice(before))
        this.logger.warn(
          { evaluation_id: id, artifact: u.name, err: u.error },
          'artifact refused by the tracker for good; the run is closed without it',
        );
      if (finished) {
        this.runs.delete(id);
        this.unstored.delete(id);
      }
      const remaining = (await this.store.pendingTrackingOps(id)).length;
      await this.host.updateTracking(id, {
        ...patch,
        state: remaining === 0 && finished ? 'synced' : 'pending',
        pending_operations: remaining,
        synced_at: new Date().toISOString(),
        last_error: unstored.size
          ? `artifacts not stored: ${[...unstored.values()].map((u) => `${u.name} (${u.error})`).join('; ')}`
          : undefined,
      });
      if (remaining === 0) this.host.drained?.(id, finished);
      return 'done';
    } catch (err) {
      if (hasErrorCode(err, 'lease_lost')) {
        // Another replica holds the evaluation now and delivers the rest (the journal keeps it).
        this.forget(id);
        return 'done';
      }
      const message = describeError(err);
      const remaining = (await this.store.pendingTrackingOps(id)).length;
      if (hasErrorCode(err, 'tracking_failed')) {
        this.logger.error(
          { evaluation_id: id, err: message },
          'tracking failed permanently; operations kept for a retry',
        );
        this.runs.delete(id);
        await this.host.updateTracking(id, {
          ...patch,
          state: 'failed',
          last_error: message,
          pending_operations: remaining,
        });
        return 'permanent';
      }
      const delay = this.backoff.failed();
      this.logger.warn(
        {
          evaluation_id: id,
          err: message,
          consecutive_failures: this.backoff.consecutiveFailures,
          retry_in_ms: delay,
        },
        'tracking delivery failed; all deliveries pause, then retry',
      );
      await this.host.updateTracking(id, {
        ...patch,
        state: 'pending',
        last_error: message,
        pending_operations: remaining,
      });
      return 'transient';
    }
  }
}

/** `tracking` with `patch` applied; `undefined` in the patch removes a field. */
export function mergeTracking(tracking: TrackingInfo, patch: Partial<TrackingInfo>): TrackingInfo {
  const t: Record<string, unknown> = { ...tracking, ...patch };
  for (const [k, v] of Object.entries(t)) if (v === undefined) delete t[k];
  return t as unknown as TrackingInfo;
}
