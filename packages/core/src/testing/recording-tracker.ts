import type {
  TrackedArtifact,
  Tracker,
  TrackerRun,
  TrackerRunInfo,
  TrackingBatch,
} from '../extension-points/tracker.js';
import type { ComponentHealth, Evaluation } from '../types.js';

export interface RecordedRun {
  info: TrackerRunInfo;
  evaluationId: string;
  batches: TrackingBatch[];
  artifacts: TrackedArtifact[];
  finished?: Evaluation;
  /** The batch that travelled with the finish, if any. */
  finishBatch?: TrackingBatch;
}

export type RecordedMethod = 'startRun' | 'resumeRun' | 'log' | 'logArtifact' | 'finish';

export interface RecordedCall {
  evaluationId: string;
  method: RecordedMethod;
  /** The artifact's name for `logArtifact`. */
  artifact?: string;
}

export interface RecordingTrackerOptions {
  /** Advertised to core's outbox as `Tracker.concurrency`. */
  concurrency?: number;
}

/**
 * A tracker that keeps everything it receives in memory, for tests of providers and hubs that want to
 * assert what would be tracked. Idempotent by evaluation id, like a real tracker must be. Tests can
 * make it fail (`failNext`), hold every call until released (`hold`), and read the order of calls
 * and how many evaluations were being delivered at once.
 */
export class RecordingTracker implements Tracker {
  readonly name = 'recording';
  readonly concurrency: number | undefined;
  readonly runs = new Map<string, RecordedRun>();
  /** Every call, in the order they started (failed ones included). */
  readonly calls: RecordedCall[] = [];
  /** Most evaluations with a call in flight at the same time. */
  maxEvaluationsInFlight = 0;
  private readonly inFlight = new Map<string, number>();
  private readonly faults: { method: RecordedMethod; error: Error; times: number; artifact?: string }[] = [];
  private held: Promise<void> | undefined;

  constructor(options: RecordingTrackerOptions = {}) {
    this.concurrency = options.concurrency;
  }

  /** The next `times` calls of `method` (for `logArtifact`, optionally only of that artifact) throw `error`. */
  failNext(method: RecordedMethod, error: Error, times = 1, artifact?: string): void {
    this.faults.push({ method, error, times, ...(artifact !== undefined ? { artifact } : {}) });
  }

  /** Calls wait until the returned function is called. */
  hold(): () => void {
    let release!: () => void;
    this.held = new Promise<void>((ok) => (release = ok));
    return () => {
      this.held = undefined;
      release();
    };
  }

  private async call<T>(
    evaluationId: string,
    method: RecordedMethod,
    fn: () => T,
    artifact?: string,
  ): Promise<T> {
    this.calls.push({ evaluationId, method, ...(artifact !== undefined ? { artifact } : {}) });
    this.inFlight.set(evaluationId, (this.inFlight.get(evaluationId) ?? 0) + 1);
    this.maxEvaluationsInFlight = Math.max(this.maxEvaluationsInFlight, this.inFlight.size);
    try {
      await Promise.resolve();
      if (this.held) await this.held;
      const i = this.faults.findIndex(
        (f) => f.method === method && (f.artifact === undefined || f.artifact === artifact),
      );
      if (i >= 0) {
        const f = this.faults[i]!;
        if (--f.times <= 0) this.faults.splice(i, 1);
        throw f.error;
      }
      return fn();
    } finally {
      const n = this.inFlight.get(evaluationId)! - 1;
      if (n === 0) this.inFlight.delete(evaluationId);
      else this.inFlight.set(evaluationId, n);
    }
  }

  private handle(rec: RecordedRun): TrackerRun {
    const id = rec.evaluationId;
    return {
      info: rec.info,
      log: (batch) => this.call(id, 'log', () => void rec.batches.push(structuredClone(batch))),
      logArtifact: (artifact) =>
        this.call(id, 'logArtifact', () => void rec.artifacts.push({ ...artifact }), artifact.name),
      finish: (evaluation, last) =>
        this.call(id, 'finish', () => {
          if (last) {
            rec.batches.push(structuredClone(last));
            rec.finishBatch = structuredClone(last);
          }
          rec.finished = structuredClone(evaluation);
        }),
    };
  }

  private record(evaluation: Evaluation): RecordedRun {
    let rec = this.runs.get(evaluation.id);
    if (!rec) {
      rec = {
        info: { run_id: `run-${evaluation.id}`, experiment_id: '1' },
        evaluationId: evaluation.id,
        batches: [],
        artifacts: [],
      };
      this.runs.set(evaluation.id, rec);
    }
    return rec;
  }

  startRun(evaluation: Evaluation): Promise<TrackerRun> {
    return this.call(evaluation.id, 'startRun', () => this.handle(this.record(evaluation)));
  }

  resumeRun(evaluation: Evaluation): Promise<TrackerRun> {
    return this.call(evaluation.id, 'resumeRun', () => this.handle(this.record(evaluation)));
  }

  async health(): Promise<ComponentHealth> {
    return { status: 'ok', name: this.name };
  }

  /** Every metric logged for an evaluation, merged across batches. */
  metrics(evaluationId: string): Record<string, number> {
    return Object.assign({}, ...(this.runs.get(evaluationId)?.batches ?? []).map((b) => b.metrics ?? {}));
  }

  params(evaluationId: string): Record<string, string> {
    return Object.assign({}, ...(this.runs.get(evaluationId)?.batches ?? []).map((b) => b.params ?? {}));
  }

  tags(evaluationId: string): Record<string, string> {
    return Object.assign({}, ...(this.runs.get(evaluationId)?.batches ?? []).map((b) => b.tags ?? {}));
  }

  /** The methods called for one evaluation, in order. */
  callsOf(evaluationId: string): RecordedMethod[] {
    return this.calls.filter((c) => c.evaluationId === evaluationId).map((c) => c.method);
  }
}
