import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type {
  TrackedArtifact,
  Tracker,
  TrackerRun,
  TrackerRunInfo,
  TrackingBatch,
} from '../extension-points/tracker.js';
import type { ComponentHealth, Evaluation } from '../types.js';

export interface JsonlTrackerOptions {
  /** File that receives one JSON object per line per tracking event. */
  path: string;
}

/** NaN and ±Infinity are not JSON: written as strings, like MLflow's REST API does. */
function encodeNumber(v: number): number | string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  return v;
}

/**
 * Appends every tracking event to a JSON Lines file: a tracker for air-gapped setups, audits and
 * pipelines that post-process results. Each line: `{event, evaluation_id, run_id, time, …}`.
 */
export class JsonlTracker implements Tracker {
  readonly name = 'jsonl';
  constructor(readonly options: JsonlTrackerOptions) {}

  private async write(record: Record<string, unknown>): Promise<void> {
    await mkdir(dirname(this.options.path), { recursive: true });
    await appendFile(this.options.path, `${JSON.stringify({ time: new Date().toISOString(), ...record })}\n`);
  }

  private run(evaluation: Evaluation, info: TrackerRunInfo): TrackerRun {
    const base = { evaluation_id: evaluation.id, run_id: info.run_id };
    const log = (batch: TrackingBatch): Promise<void> =>
      this.write({
        ...base,
        event: 'log',
        timestamp: batch.timestamp,
        params: batch.params ?? {},
        metrics: Object.fromEntries(
          Object.entries(batch.metrics ?? {}).map(([k, v]) => [k, encodeNumber(v)]),
        ),
        tags: batch.tags ?? {},
      });
    return {
      info,
      log,
      logArtifact: (artifact: TrackedArtifact) =>
        this.write({ ...base, event: 'artifact', name: artifact.name, path: artifact.path }),
      finish: async (final: Evaluation, last?: TrackingBatch) => {
        if (last) await log(last);
        await this.write({ ...base, event: 'finish', status: final.status });
      },
    };
  }

  async startRun(evaluation: Evaluation): Promise<TrackerRun> {
    const info: TrackerRunInfo = {
      run_id: evaluation.id,
      ...(evaluation.experiment ? { experiment_name: evaluation.experiment.name } : {}),
    };
    await this.write({
      event: 'start',
      evaluation_id: evaluation.id,
      run_id: info.run_id,
      experiment: evaluation.experiment ?? null,
      model: { server: evaluation.model.server, name: evaluation.model.name },
    });
    return this.run(evaluation, info);
  }

  async resumeRun(evaluation: Evaluation, info: TrackerRunInfo): Promise<TrackerRun> {
    return this.run(evaluation, info);
  }

  async health(): Promise<ComponentHealth> {
    return { status: 'ok', name: 'jsonl', detail: this.options.path };
  }
}
