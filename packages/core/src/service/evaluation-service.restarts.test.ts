import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Tracker, TrackerRun, TrackingBatch } from '../extension-points/tracker.js';
import type { ComponentHealth, Evaluation } from '../types.js';
import { bench, model, scriptedHubs } from './scripted-hub.test-support.js';

const { tempDir, makeHub } = scriptedHubs();

describe('EvaluationService: restart recovery on a real SQLite file', () => {
  it('resumes an interrupted evaluation: finished benchmarks are kept, unfinished ones re-run', async () => {
    const dir = tempDir();
    const first = await makeHub(dir, { EVALHUB_BENCHMARK_CONCURRENCY: '1' });
    const { evaluation } = await first.service.submit({
      model,
      benchmarks: [bench('ok', { metrics: { score: 0.7 } }), bench('slow', { durationMs: 60_000 })],
    });
    for await (const ev of first.service.subscribe(evaluation.id)) {
      if (ev.type === 'benchmark_status' && ev.benchmark_id === 'slow' && ev.status === 'running') break;
    }
    await first.close();
    const stored = (await makeHubStoreRead(dir, evaluation.id)) as Evaluation;
    expect(stored.status).toBe('running');
    expect(stored.benchmarks[1]!.status).toBe('pending');

    // Second start on the same SQLite file: the completed result is kept and the slow benchmark starts again.
    const second = await makeHub(dir, { EVALHUB_BENCHMARK_CONCURRENCY: '1' });
    const live = await second.service.get(evaluation.id);
    expect(live.benchmarks[0]).toMatchObject({ status: 'completed', results: { metrics: { score: 0.7 } } });
    for await (const ev of second.service.subscribe(evaluation.id)) {
      if (ev.type === 'benchmark_status' && ev.benchmark_id === 'slow' && ev.status === 'running') break;
    }
    // The graceful stop did not count as an attempt (issue: rolling restarts must not fail long benchmarks).
    expect((await second.service.get(evaluation.id)).benchmarks[1]!.attempts).toBe(1);
    await second.service.cancel(evaluation.id);
    const final = await second.service.wait(evaluation.id);
    expect(final.status).toBe('cancelled');
    expect(final.benchmarks[0]!.results?.metrics).toEqual({ score: 0.7 });
  });

  it('fails, with a reason, a benchmark interrupted more often than max_attempts', async () => {
    // A crashed (SIGKILLed) hub leaves the benchmark 'running' with its attempt counted; after
    // max_attempts such starts the next hub fails it instead of starting it again.
    const dir = tempDir();
    const first = await makeHub(dir);
    const { evaluation } = await first.service.submit({
      model,
      benchmarks: [bench('slow', { durationMs: 60_000 })],
    });
    for await (const ev of first.service.subscribe(evaluation.id))
      if (ev.type === 'benchmark_status' && ev.status === 'running') break;
    const crashed = structuredClone(await first.service.get(evaluation.id));
    await first.close();
    crashed.benchmarks[0]!.attempts = 3;
    await writeStored(dir, crashed);

    const h = await makeHub(dir);
    const final = await h.service.wait(evaluation.id);
    expect(final.status).toBe('failed');
    expect(final.benchmarks[0]!.error).toMatchObject({ code: 'interrupted' });
  });

  it('does not count graceful restarts as attempts: three of them leave the benchmark running', async () => {
    const dir = tempDir();
    let h = await makeHub(dir);
    const { evaluation } = await h.service.submit({
      model,
      benchmarks: [bench('slow', { durationMs: 60_000 })],
    });
    for (let i = 0; i < 3; i++) {
      for await (const ev of h.service.subscribe(evaluation.id))
        if (ev.type === 'benchmark_status' && ev.status === 'running') break;
      await h.close();
      h = await makeHub(dir);
    }
    for await (const ev of h.service.subscribe(evaluation.id))
      if (ev.type === 'benchmark_status' && ev.status === 'running') break;
    expect((await h.service.get(evaluation.id)).benchmarks[0]).toMatchObject({
      status: 'running',
      attempts: 1,
    });
    await h.service.cancel(evaluation.id);
    expect((await h.service.wait(evaluation.id)).status).toBe('cancelled');
  });
});

async function writeStored(dir: string, e: Evaluation): Promise<void> {
  const { SqliteStore } = await import('../stores/sqlite-store.js');
  const store = new SqliteStore({ path: join(dir, '.evalhub', 'evalhub.db') });
  try {
    await store.saveEvaluation(e);
  } finally {
    await store.close();
  }
}

async function makeHubStoreRead(dir: string, id: string): Promise<Evaluation | undefined> {
  const { SqliteStore } = await import('../stores/sqlite-store.js');
  const store = new SqliteStore({ path: join(dir, '.evalhub', 'evalhub.db') });
  try {
    return await store.getEvaluation(id);
  } finally {
    await store.close();
  }
}

/** A tracker that records what it receives and fails its first `failures` deliveries. */
class FlakyRecordingTracker implements Tracker {
  readonly name = 'flaky';
  readonly batches: TrackingBatch[] = [];
  readonly finished: string[] = [];
  starts = 0;
  constructor(public failures: number) {}
  private fail(): void {
    if (this.failures > 0) {
      this.failures--;
      throw new Error('tracking backend unavailable');
    }
  }
  private run(): TrackerRun {
    return {
      info: { run_id: 'r1', experiment_id: '1' },
      log: async (b) => {
        this.fail();
        this.batches.push(b);
      },
      logArtifact: async () => this.fail(),
      finish: async (e, last) => {
        this.fail();
        if (last) this.batches.push(last);
        this.finished.push(e.status);
      },
    };
  }
  async startRun(): Promise<TrackerRun> {
    this.fail();
    this.starts++;
    return this.run();
  }
  async resumeRun(): Promise<TrackerRun> {
    return this.run();
  }
  async health(): Promise<ComponentHealth> {
    return { status: 'ok' };
  }
}

describe('EvaluationService: tracking never fails or loses an evaluation', () => {
  it('retries deliveries until the tracker accepts them, then reports synced', async () => {
    const tracker = new FlakyRecordingTracker(3);
    const h = await makeHub(
      tempDir(),
      {},
      { tracker, settings: { trackingBaseDelayMs: 5, trackingMaxDelayMs: 20 } },
    );
    const e = await h.evaluate({ model, benchmarks: [bench('ok', { metrics: { score: 0.5 } })] });
    expect(e.status).toBe('completed');
    while ((await h.service.get(e.id)).tracking.state !== 'synced')
      await new Promise((r) => setTimeout(r, 10));
    expect(tracker.starts).toBe(1);
    expect(tracker.finished).toEqual(['completed']);
    const metrics = Object.assign({}, ...tracker.batches.map((b) => b.metrics));
    expect(metrics['ok.score']).toBe(0.5);
    expect(await h.service.trackingQueueDepth()).toBe(0);
  });

  it('keeps the journal across a restart and delivers it afterwards', async () => {
    const dir = tempDir();
    const down = new FlakyRecordingTracker(1_000_000);
    const first = await makeHub(dir, {}, { tracker: down, settings: { trackingBaseDelayMs: 60_000 } });
    const e = await first.evaluate({ model, benchmarks: [bench('ok', { metrics: { score: 0.9 } })] });
    await first.service.trackingIdle();
    expect((await first.service.get(e.id)).tracking).toMatchObject({
      state: 'pending',
      last_error: 'tracking backend unavailable',
    });
    await first.close();

    const up = new FlakyRecordingTracker(0);
    const second = await makeHub(dir, {}, { tracker: up });
    while ((await second.service.get(e.id)).tracking.state !== 'synced')
      await new Promise((r) => setTimeout(r, 10));
    const metrics = Object.assign({}, ...up.batches.map((b) => b.metrics));
    expect(metrics['ok.score']).toBe(0.9);
    expect(up.finished).toEqual(['completed']);
  });

  it('swaps the tracker by config alone: jsonl writes every run event', async () => {
    const dir = tempDir();
    const h = await makeHub(dir, { EVALHUB_TRACKER: 'jsonl' });
    expect(h.tracker.name).toBe('jsonl');
    const e = await h.evaluate({
      model,
      benchmarks: [bench('ok', { metrics: { score: 0.5 } })],
      experiment: { name: 'swap', tags: { a: 'b' } },
    });
    while ((await h.service.get(e.id)).tracking.state !== 'synced')
      await new Promise((r) => setTimeout(r, 10));
    const lines = readFileSync(join(dir, '.evalhub', 'tracking.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ event: 'start', evaluation_id: e.id, experiment: { name: 'swap' } });
    expect(lines.some((l) => l.event === 'log' && l.metrics['ok.score'] === 0.5)).toBe(true);
    expect(lines.at(-1)).toMatchObject({ event: 'finish', status: 'completed' });
  });
});
