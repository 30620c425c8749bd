import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TrackingOp } from '../extension-points/store.js';
import { silentLogger } from '../logging.js';
import { MemoryStore } from '../stores/memory-store.js';
import { sampleEvaluation } from '../testing/conformance.js';
import type { BenchmarkRun, Evaluation, EvaluationEvent } from '../types.js';
import { EventHub } from './event-hub.js';
import { LiveEvaluations } from './live-evaluations.js';
import {
  RecordedTracking,
  bench,
  evaluationRunner,
  removeTempDirs,
  testProviders,
} from './runner-harness.test-support.js';

afterEach(removeTempDirs);

/** An EvaluationRunner with a real BenchmarkRunner over the memory store, a workspace and the local runtime. */
async function setup(
  benchmarks: BenchmarkRun[],
  o: { patch?: Partial<Evaluation>; concurrency?: number; tracking?: boolean } = {},
) {
  const logger = silentLogger();
  const store = new MemoryStore();
  const events = new EventHub();
  const live = new LiveEvaluations(store, events);
  const { held, providers } = testProviders();
  const tracking = RecordedTracking.over(store, logger, o.tracking ?? true);
  const { runner, workspace } = await evaluationRunner({
    prefix: 'evalhub-evaluation-runner-',
    store,
    live,
    events,
    providers,
    tracking,
    logger,
    benchmarkConcurrency: o.concurrency ?? 1,
  });
  const e = sampleEvaluation({ status: 'pending', started_at: undefined, benchmarks, ...o.patch });
  await store.createEvaluation(structuredClone(e));
  const entry = live.add(e);
  const seen: EvaluationEvent[] = [];
  events.listen((ev) => seen.push(ev));
  const statuses = () => seen.filter((ev) => ev.type === 'status').map((ev) => ev.status);
  const stored = async () => (await store.getEvaluation(e.id))!;
  /** The evaluation's status and finished_at at each save from now on. */
  const recordSaves = () => {
    const saves: [string, string | undefined][] = [];
    const save = store.saveEvaluation.bind(store);
    vi.spyOn(store, 'saveEvaluation').mockImplementation((doc) => {
      saves.push([doc.status, doc.finished_at]);
      return save(doc);
    });
    return saves;
  };
  return { recordSaves, store, live, runner, entry, e, held, tracking, seen, statuses, stored, workspace };
}

describe('EvaluationRunner', () => {
  it('runs the pending benchmarks, then closes the evaluation: stored, published, tracked, done', async () => {
    const earlier = bench('ok2', 'scripted', {
      status: 'completed',
      attempts: 1,
      results: { metrics: { score: 0.5 }, primary_metric: 'score' },
    });
    const t = await setup([bench('ok'), earlier]);
    await t.runner.run(t.entry);

    expect(t.e).toMatchObject({ status: 'completed', score: 0.75 });
    expect(t.e.started_at! <= t.e.finished_at!).toBe(true);
    expect(t.e.error).toBeUndefined();
    // The benchmark that had completed before is not run again.
    expect(t.e.benchmarks.map((b) => [b.status, b.attempts])).toEqual([
      ['completed', 1],
      ['completed', 1],
    ]);
    expect(await t.stored()).toEqual(t.e);
    expect(t.live.has(t.e.id)).toBe(false);
    expect(t.statuses()).toEqual(['running', 'completed']);
    const result = t.seen.find((ev) => ev.type === 'result')!;
    expect(result.evaluation).toEqual(t.e);
    expect(await t.entry.done).toEqual(t.e);

    // The benchmark's batch and artifact, then the evaluation's metrics, summary and finish.
    expect(t.tracking.ops.map((op) => op.op)).toEqual(['log', 'artifact', 'log', 'artifact', 'finish']);
    const [, , metrics, summary] = t.tracking.ops;
    expect(metrics).toMatchObject({
      batch: {
        metrics: {
          'evaluation.benchmarks_completed': 2,
          'evaluation.benchmarks_failed': 0,
          'evaluation.score': 0.75,
        },
      },
    });
    expect(summary).toMatchObject({ artifact: { name: 'summary.json', contentType: 'application/json' } });
    await access((summary as Extract<TrackingOp, { op: 'artifact' }>).artifact.path);
  });

  it('runs at most benchmarkConcurrency benchmarks at once', async () => {
    const t = await setup([bench('h1', 'held'), bench('h2', 'held'), bench('h3', 'held')], {
      concurrency: 2,
    });
    const running = t.runner.run(t.entry);
    const [first, second] = await t.held.started(2);
    expect(t.held.runs.map((r) => r.task.benchmark.benchmark_id)).toEqual(['h1', 'h2']);
    expect(t.e.benchmarks[2]!.status).toBe('pending');
    second!.end({ metrics: { score: 1 } });
    const third = (await t.held.started(3))[2]!;
    expect(third.task.benchmark.benchmark_id).toBe('h3');
    first!.end({ metrics: { score: 1 } });
    third.end({ metrics: { score: 0 } });
    await running;
    expect(t.e.status).toBe('completed');
  });

  it('closes an evaluation with failed benchmarks as partially_failed or failed, naming them', async () => {
    const partly = await setup([bench('ok'), bench('fail', 'scripted', { config: { fail: 'no data' } })]);
    await partly.runner.run(partly.entry);
    expect(partly.e).toMatchObject({
      status: 'partially_failed',
      error: { code: 'benchmarks_failed', message: 'fail: no data' },
    });
    expect(
      partly.tracking.ops.find((op) => op.op === 'log' && op.batch.metrics?.['evaluation.benchmarks_failed']),
    ).toBeDefined();

    const all = await setup([bench('fail'), bench('fail', 'scripted', { config: { fail: 'bad' } })]);
    await all.runner.run(all.entry);
    expect(all.e).toMatchObject({
      status: 'failed',
      error: { code: 'evaluation_failed', message: 'fail: scripted failure; fail: bad' },
    });
    expect((await all.stored()).status).toBe('failed');
  });

  it('starts and closes an evaluation left with nothing to run', async () => {
    const done = bench('ok', 'scripted', { status: 'completed', results: { metrics: { score: 1 } } });
    const t = await setup([done], { tracking: false });
    const saves = t.recordSaves();
    await t.runner.run(t.entry);
    expect(saves.map(([status]) => status)).toEqual(['running', 'completed']);
    expect(t.e.status).toBe('completed');
    expect(t.statuses()).toEqual(['running', 'completed']);
    // Without tracking nothing is journaled and no summary is written.
    expect(t.tracking.ops).toEqual([]);
    await expect(access(join(t.workspace.root(t.e.id), 'artifacts', 'summary.json'))).rejects.toThrow();
  });

  it('on shutdown stores the evaluation as it is and lets it go unfinished', async () => {
    const t = await setup([bench('h1', 'held'), bench('h2', 'held')]);
    const running = t.runner.run(t.entry);
    await t.held.started(1);
    t.entry.abort.abort('shutdown');
    await running;
    const stored = await t.stored();
    expect(stored.status).toBe('running');
    expect(stored.finished_at).toBeUndefined();
    expect(stored.benchmarks.map((b) => [b.status, b.attempts])).toEqual([
      ['pending', 0],
      ['pending', 0],
    ]);
    expect(t.held.runs).toHaveLength(1);
    expect(t.live.has(t.e.id)).toBe(false);
    expect(t.seen.some((ev) => ev.type === 'result')).toBe(false);
    expect(t.tracking.ops).toEqual([]);
    // `done` says it left unfinished (a waiter goes on to the store and its events, not stuck here).
    const left = await Promise.race([
      t.entry.done.then((e) => ({ e })),
      new Promise((ok) => setImmediate(() => ok('still pending'))),
    ]);
    expect(left).toEqual({ e: undefined });
  });

  it('writes nothing more once the lease is lost', async () => {
    const t = await setup([bench('h1', 'held'), bench('h2', 'held')]);
    const running = t.runner.run(t.entry);
    await t.held.started(1);
    const saves = t.recordSaves();
    t.entry.abort.abort('lease_lost');
    await running;
    // The second benchmark never starts and the evaluation is not closed here (the benchmark's own
    // last write is the lease's to refuse).
    expect(t.held.runs).toHaveLength(1);
    expect(saves).toEqual([['running', undefined]]);
    expect(t.e.status).toBe('running');
    expect(t.e.benchmarks[1]!.status).toBe('pending');
    expect(t.seen.some((ev) => ev.type === 'result')).toBe(false);
    expect(t.tracking.ops.some((op) => op.op === 'finish')).toBe(false);
  });

  it('cancels a queued evaluation at once: every benchmark cancelled before it started', async () => {
    const t = await setup([bench('ok'), bench('ok2')]);
    await t.runner.cancel(t.entry, true);
    expect(t.entry.abort.signal.reason).toBe('cancel');
    expect(t.e).toMatchObject({
      status: 'cancelled',
      error: { code: 'cancelled', message: 'Cancelled on request.' },
    });
    expect(t.e.benchmarks.map((b) => [b.status, b.error?.message])).toEqual([
      ['cancelled', 'Cancelled before it started.'],
      ['cancelled', 'Cancelled before it started.'],
    ]);
    expect((await t.stored()).status).toBe('cancelled');
    expect(await t.entry.done).toMatchObject({ status: 'cancelled' });
    expect(t.tracking.ops.at(-1)).toEqual({ op: 'finish' });
  });

  it('cancels a running evaluation: the running benchmark is aborted and the run closes it', async () => {
    const t = await setup([bench('h1', 'held'), bench('h2', 'held')]);
    const running = t.runner.run(t.entry);
    const [first] = await t.held.started(1);
    await t.runner.cancel(t.entry, false);
    // Stored at once with the benchmark not started cancelled; the run is not closed yet.
    const meanwhile = await t.stored();
    expect(meanwhile.benchmarks[1]!.status).toBe('cancelled');
    expect(meanwhile.status).toBe('running');
    await running;
    expect(first!.ctx.signal.reason).toBe('cancel');
    expect(t.e.status).toBe('cancelled');
    expect(t.e.benchmarks.map((b) => [b.status, b.error?.message])).toEqual([
      ['cancelled', 'Cancelled while running.'],
      ['cancelled', 'Cancelled before it started.'],
    ]);
    expect(t.held.runs).toHaveLength(1);
    expect(await t.entry.done).toMatchObject({ status: 'cancelled' });
  });

  it('compares the finished evaluation with its stored baseline and tracks the comparison', async () => {
    const baseline = sampleEvaluation({
      status: 'completed',
      benchmarks: [bench('ok', 'scripted', { status: 'completed', results: { metrics: { score: 0.9 } } })],
    });
    const t = await setup([bench('ok', 'scripted', { config: { metrics: { score: 0.5 } } })], {
      patch: { baseline: { evaluation_id: baseline.id } },
    });
    await t.store.createEvaluation(baseline);
    await t.runner.run(t.entry);
    expect(t.e.baseline_comparison).toBeDefined();
    expect(t.tracking.ops).toContainEqual({
      op: 'artifact',
      artifact: { name: 'comparison.md', path: expect.any(String), contentType: 'text/markdown' },
    });
  });
});
