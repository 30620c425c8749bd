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
}

/**
 * A tracker that keeps everything it receives in memory, for tests of providers and hubs that want to
 * assert what would be tracked. Idempotent by evaluation id, like a real tracker must be.
 */
export class RecordingTracker implements Tracker {
  readonly name = 'recording';
  readonly runs = new Map<string, RecordedRun>();

  private handle(rec: RecordedRun): TrackerRun {
    return {
      info: rec.info,
      log: async (batch) => void rec.batches.push(structuredClone(batch)),
      logArtifact: async (artifact) => void rec.artifacts.push({ ...artifact }),
      finish: async (evaluation, last) => {
        if (last) rec.batches.push(structuredClone(last));
        rec.finished = structuredClone(evaluation);
      },
    };
  }

  async startRun(evaluation: Evaluation): Promise<TrackerRun> {
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
    return this.handle(rec);
  }

  async resumeRun(evaluation: Evaluation): Promise<TrackerRun> {
    return this.startRun(evaluation);
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
}
