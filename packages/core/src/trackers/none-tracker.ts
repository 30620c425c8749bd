import type { Tracker, TrackerRun } from '../extension-points/tracker.js';
import type { ComponentHealth } from '../types.js';

const run: TrackerRun = {
  info: {},
  async log() {},
  async logArtifact() {},
  async finish() {},
};

/** Tracks nothing. The default when no tracker is installed; evaluations show tracking `disabled`. */
export class NoneTracker implements Tracker {
  readonly name = 'none';
  readonly enabled = false;
  async startRun(): Promise<TrackerRun> {
    return run;
  }
  async resumeRun(): Promise<TrackerRun> {
    return run;
  }
  async health(): Promise<ComponentHealth> {
    return { status: 'ok', name: 'none', detail: 'tracking disabled' };
  }
}
