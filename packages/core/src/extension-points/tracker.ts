import type { InjectionToken } from 'tsyringe';
import type { ComponentHealth, Evaluation } from '../types.js';

/** Where a tracked evaluation lives in the tracker; persisted on the evaluation (`tracking`). */
export interface TrackerRunInfo {
  experiment_name?: string;
  experiment_id?: string;
  run_id?: string;
  links?: { experiment?: string; run?: string };
}

/** Params, metrics and tags logged together (a tracker may send them in one request). */
export interface TrackingBatch {
  params?: Record<string, string>;
  /** Values may be NaN or ±Infinity; the tracker encodes them as its backend requires. */
  metrics?: Record<string, number>;
  tags?: Record<string, string>;
  /** Milliseconds since the epoch the values were produced (stable across replays). */
  timestamp: number;
}

export interface TrackedArtifact {
  /** Path inside the run's artifact tree, e.g. `arc_easy/results.json`. */
  name: string;
  /** Local file holding the content. */
  path: string;
  /** MIME type, e.g. `application/json`. */
  contentType?: string;
}

/**
 * One run in the tracker for one evaluation request. Every method may be called again with the same
 * arguments after a failure or a restart (core replays its outbox), so each must be idempotent.
 */
export interface TrackerRun {
  readonly info: TrackerRunInfo;
  log(batch: TrackingBatch): Promise<void>;
  logArtifact(artifact: TrackedArtifact): Promise<void>;
  /**
   * Close the run with a status mirroring `evaluation.status`; the evaluation is final here. `last`
   * carries params/metrics/tags journaled right before the finish: log them as part of closing
   * (typically in the same request as the closing tags).
   */
  finish(evaluation: Evaluation, last?: TrackingBatch): Promise<void>;
}

export interface Tracker {
  /** `none`, `jsonl`, or a plugin's name; shown on evaluations and in health, never branched on. */
  readonly name: string;
  /** `false` for a tracker that records nothing (the built-in `none`): core then journals nothing. */
  readonly enabled?: boolean;
  /**
   * How many evaluations core's outbox delivers to this tracker at once (default 4). Size it for the
   * backend: each delivery sends its requests one after another, except artifact uploads.
   */
  readonly concurrency?: number;
  /**
   * Create the run for this evaluation, or find the one an earlier attempt created (idempotent by
   * `evaluation.id`). Called when the evaluation starts. `evaluation.tracking.start_attempts` counts
   * this attempt too: 1 means no earlier attempt can have created the run.
   */
  startRun(evaluation: Evaluation): Promise<TrackerRun>;
  /** Reattach to a run created earlier, e.g. after a restart, from the info `startRun` returned. */
  resumeRun(evaluation: Evaluation, info: TrackerRunInfo): Promise<TrackerRun>;
  /** Reachability of the backend, for the health endpoint. */
  health(): Promise<ComponentHealth>;
  close?(): Promise<void>;
}

/**
 * A tracker error that retrying will not fix (e.g. a name conflict); the outbox stops and reports it.
 * Part of the hub's error hierarchy (code `tracking_failed`); the outbox branches on that code.
 */
export { PermanentTrackingError } from '../errors.js';

export const TrackerToken: InjectionToken<Tracker> = Symbol.for('evalhub.tracker');
