import type { ExecAbortReason } from '../extension-points/runtime.js';
import type { EvaluationStore } from '../extension-points/store.js';
import type { BenchmarkRun, Evaluation, EvaluationEvent, TrackingInfo } from '../types.js';
import type { EventHub } from './event-hub.js';

/** Why an evaluation is aborted as a whole (a benchmark's own timeout is the other ExecAbortReason). */
export type AbortReason = Exclude<ExecAbortReason, 'timeout'>;

/** Where live documents are read and written: the store, or the replica's leases on it. */
export type DocumentStore = Pick<EvaluationStore, 'getEvaluation' | 'saveEvaluation'>;

/** An evaluation this process owns while it waits or runs: its document, abort switch and completion. */
export interface LiveEvaluation {
  evaluation: Evaluation;
  abort: AbortController;
  cancelRequested: boolean;
  /** The finished evaluation; undefined when it left this process unfinished (shutdown, lease lost). */
  done: Promise<Evaluation | undefined>;
  resolveDone: (e: Evaluation | undefined) => void;
}

export type EventInput = Omit<EvaluationEvent, 'seq' | 'time' | 'evaluation_id'>;

export const now = (): string => new Date().toISOString();

/**
 * The evaluations this process owns, and the only writer of their documents: every change of a
 * live evaluation goes through here, serialised per evaluation, and is published as an event.
 */
export class LiveEvaluations {
  private readonly live = new Map<string, LiveEvaluation>();
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(
    private readonly store: DocumentStore,
    private readonly events: EventHub,
    /** Also told of every event published (the relay to other replicas). */
    private readonly onPublish?: (id: string, event: EventInput) => void,
  ) {}

  add(evaluation: Evaluation): LiveEvaluation {
    let resolveDone!: (e: Evaluation | undefined) => void;
    const done = new Promise<Evaluation | undefined>((r) => (resolveDone = r));
    const live: LiveEvaluation = {
      evaluation,
      abort: new AbortController(),
      cancelRequested: false,
      done,
      resolveDone,
    };
    this.live.set(evaluation.id, live);
    return live;
  }

  get(id: string): LiveEvaluation | undefined {
    return this.live.get(id);
  }

  has(id: string): boolean {
    return this.live.has(id);
  }

  delete(id: string): void {
    this.live.delete(id);
  }

  values(): IterableIterator<LiveEvaluation> {
    return this.live.values();
  }

  get size(): number {
    return this.live.size;
  }

  /** A copy of a live evaluation's document, or undefined when this process does not own it. */
  snapshot(id: string): Evaluation | undefined {
    const live = this.live.get(id);
    return live ? structuredClone(live.evaluation) : undefined;
  }

  /** Runs `fn` after every earlier write of the same evaluation has settled. */
  withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(id) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const settled = next.catch(() => undefined);
    this.locks.set(id, settled);
    void settled.then(() => {
      if (this.locks.get(id) === settled) this.locks.delete(id);
    });
    return next;
  }

  persist(live: LiveEvaluation): Promise<void> {
    live.evaluation.updated_at = now();
    return this.withLock(live.evaluation.id, () => this.store.saveEvaluation(live.evaluation));
  }

  setBenchmark(live: LiveEvaluation, index: number, patch: Partial<BenchmarkRun>): void {
    const b = live.evaluation.benchmarks[index]!;
    const before = b.status;
    Object.assign(b, patch);
    live.evaluation.updated_at = now();
    if (patch.status && patch.status !== before) {
      this.publish(live.evaluation.id, {
        type: 'benchmark_status',
        benchmark_index: index,
        benchmark_id: b.benchmark_id,
        status: b.status,
      });
    }
  }

  publish(id: string, event: EventInput): void {
    this.events.publish(id, event);
    this.onPublish?.(id, event);
  }

  /** Merges tracking state into the evaluation, live or stored. */
  async updateTracking(id: string, patch: Partial<TrackingInfo>): Promise<void> {
    await this.withLock(id, async () => {
      const live = this.live.get(id);
      const e = live ? live.evaluation : await this.store.getEvaluation(id);
      if (!e) return;
      const before = e.tracking.state;
      const t: Record<string, unknown> = { ...e.tracking, ...patch };
      for (const [k, v] of Object.entries(t)) if (v === undefined) delete t[k];
      e.tracking = t as unknown as TrackingInfo;
      await this.store.saveEvaluation(e);
      if (before !== e.tracking.state) this.publish(id, { type: 'tracking', status: e.tracking.state });
    });
  }
}
