import { afterEach, describe, expect, it } from 'vitest';
import { BenchmarkFailedError } from '../errors.js';
import { silentLogger } from '../logging.js';
import { MemoryStore } from '../stores/memory-store.js';
import { sampleEvaluation } from '../testing/conformance.js';
import type { BenchmarkRun, Evaluation, EvaluationEvent } from '../types.js';
import { EventHub } from './event-hub.js';
import { LiveEvaluations } from './live-evaluations.js';
import {
  RecordedTracking,
  bench,
  benchmarkRunner,
  removeTempDirs,
  testProviders,
} from './runner-harness.test-support.js';

afterEach(removeTempDirs);

/** A BenchmarkRunner over the real store, workspace, logs, runtime and registry. */
async function setup(benchmark: BenchmarkRun, patch: Partial<Evaluation> = {}) {
  const logger = silentLogger();
  const store = new MemoryStore();
  const events = new EventHub();
  const live = new LiveEvaluations(store, events);
  const { scripted, held, providers } = testProviders();
  const tracking = RecordedTracking.over(store, logger);
  const prefix = 'evalhub-benchmark-runner-';
  const { benchmarks: runner } = await benchmarkRunner({ prefix, providers, live, tracking, logger });
  const e = sampleEvaluation({ status: 'running', benchmarks: [benchmark], ...patch });
  await store.createEvaluation(structuredClone(e));
  const entry = live.add(e);
  const seen: EvaluationEvent[] = [];
  events.listen((ev) => seen.push(ev));
  const statuses = () => seen.filter((ev) => ev.type === 'benchmark_status').map((ev) => ev.status);
  const stored = async () => (await store.getEvaluation(e.id))!.benchmarks[0]!;
  /** The held provider's first run, once it has started. */
  const heldRun = async () => (await held.started(1))[0]!;
  return { runner, entry, b: e.benchmarks[0]!, scripted, heldRun, tracking, seen, statuses, stored };
}

describe('BenchmarkRunner', () => {
  it('records a completed run: results, progress, artifacts, the execution log, stored and tracked', async () => {
    const t = await setup(
      bench('ok', 'scripted', { config: { metrics: { score: 0.75, odd: Infinity }, steps: 2 } }),
    );
    await t.runner.run(t.entry, 0);

    expect(t.b).toMatchObject({
      status: 'completed',
      attempts: 1,
      progress: { fraction: 1, completed: 2, total: 2 },
      results: {
        metrics: { score: 0.75, odd: 'Infinity' },
        primary_metric: 'score',
        samples: 1,
        params: { version: '1' },
      },
    });
    expect(t.b.results!.duration_seconds).toBeGreaterThanOrEqual(0);
    expect(t.b.started_at! <= t.b.finished_at!).toBe(true);
    expect(t.b.artifacts!.map((a) => a.name)).toEqual(['ok/result.json', 'ok/execution.log']);
    expect(await t.stored()).toEqual(t.b);
    expect(t.statuses()).toEqual(['running', 'completed']);
    expect(t.seen.filter((ev) => ev.type === 'log').map((ev) => ev.line)).toEqual(['step 1/2', 'step 2/2']);
    expect(t.seen.filter((ev) => ev.type === 'progress').map((ev) => ev.progress?.fraction)).toEqual([
      0.5, 1,
    ]);

    // One tracking batch of the benchmark's results, then its artifacts.
    expect(t.tracking.ops.map((op) => op.op)).toEqual(['log', 'artifact', 'artifact']);
    expect(t.tracking.ops[1]).toMatchObject({
      artifact: { name: 'ok/result.json', contentType: 'application/json' },
    });
    expect(t.tracking.ops[2]).toMatchObject({
      artifact: { name: 'ok/execution.log', contentType: 'text/plain' },
    });
  });

  it("records a provider's failure with its code and message", async () => {
    const t = await setup(bench('fail', 'scripted', { config: { fail: 'the dataset is empty' } }));
    await t.runner.run(t.entry, 0);
    expect(t.b).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: { code: 'benchmark_failed', message: 'the dataset is empty' },
    });
    expect(t.b.finished_at).toBeDefined();
    expect(t.b.results).toBeUndefined();
    expect((await t.stored()).status).toBe('failed');
    expect(t.statuses()).toEqual(['running', 'failed']);
    expect(t.tracking.ops.map((op) => op.op)).toEqual(['log']);

    const coded = await setup(bench('held', 'held'));
    const running = coded.runner.run(coded.entry, 0);
    const run = await coded.heldRun();
    run.end(new BenchmarkFailedError('limit must be positive', { code: 'benchmark_invalid' }));
    await running;
    expect(coded.b.error).toEqual({ code: 'benchmark_invalid', message: 'limit must be positive' });
  });

  it('fails a run whose provider returns a metric that is not a number', async () => {
    const t = await setup(bench('held', 'held'));
    const running = t.runner.run(t.entry, 0);
    const run = await t.heldRun();
    run.end({ metrics: { score: 'high' as unknown as number } });
    await running;
    expect(t.b).toMatchObject({
      status: 'failed',
      error: { code: 'benchmark_failed', message: expect.stringContaining("metric 'score'") },
    });
  });

  it("aborts a run at the evaluation's timeout_seconds and records a timeout", async () => {
    const t = await setup(bench('held', 'held'), { timeout_seconds: 0.05 });
    const running = t.runner.run(t.entry, 0);
    const { ctx, task } = await t.heldRun();
    expect(task.timeoutMs).toBe(50);
    await running;
    expect(ctx.signal.reason).toBe('timeout');
    expect(t.b).toMatchObject({
      status: 'failed',
      error: { code: 'benchmark_timeout', message: expect.stringContaining('Timed out after 0.05 s') },
    });
    expect((await t.stored()).error?.code).toBe('benchmark_timeout');
    expect(t.tracking.ops.map((op) => op.op)).toEqual(['log']);
  });

  it('passes a cancel of the evaluation on to the running benchmark, which ends cancelled', async () => {
    const t = await setup(bench('held', 'held'));
    const running = t.runner.run(t.entry, 0);
    const { ctx } = await t.heldRun();
    // Progress is clamped to [0, 1] on the way.
    ctx.progress({ fraction: 1.5 });
    expect(t.b.progress.fraction).toBe(1);
    ctx.progress({ fraction: -1 });
    expect(t.b.progress.fraction).toBe(0);
    t.entry.abort.abort('cancel');
    await running;
    expect(ctx.signal.reason).toBe('cancel');
    expect(t.b).toMatchObject({
      status: 'cancelled',
      error: { code: 'cancelled', message: 'Cancelled while running.' },
    });
    expect((await t.stored()).status).toBe('cancelled');
    expect(t.statuses()).toEqual(['running', 'cancelled']);
  });

  it('does not start the provider for an evaluation already cancelled', async () => {
    const t = await setup(bench('ok', 'scripted'));
    t.entry.abort.abort('cancel');
    await t.runner.run(t.entry, 0);
    expect(t.scripted.runs).toEqual([]);
    expect(t.b).toMatchObject({ status: 'cancelled', attempts: 1 });
  });

  it('leaves a benchmark interrupted by shutdown pending again, the attempt not counted, nothing tracked', async () => {
    const t = await setup(bench('held', 'held', { attempts: 1 }));
    const running = t.runner.run(t.entry, 0);
    const { ctx } = await t.heldRun();
    expect(t.b.attempts).toBe(2);
    t.entry.abort.abort('shutdown');
    await running;
    expect(ctx.signal.reason).toBe('shutdown');
    expect(t.b).toMatchObject({ status: 'pending', attempts: 1, progress: { fraction: 0 } });
    expect(t.b.error).toBeUndefined();
    expect(t.b.finished_at).toBeUndefined();
    expect(t.tracking.ops).toEqual([]);
    expect(t.statuses()).toEqual(['running', 'pending']);
  });

  it('runs a retry as the next attempt, in a fresh work folder, clearing the earlier outcome', async () => {
    const earlier = {
      status: 'failed',
      attempts: 2,
      finished_at: '2000-01-01T00:00:00.000Z',
      error: { code: 'benchmark_failed', message: 'first try failed' },
    } satisfies Partial<BenchmarkRun>;
    const t = await setup(bench('held', 'held', earlier));
    const running = t.runner.run(t.entry, 0);
    const { ctx, end } = await t.heldRun();
    // Stored as running before the provider starts, without the earlier attempt's error.
    const atStart = await t.stored();
    expect(atStart).toMatchObject({ status: 'running', attempts: 3, progress: { fraction: 0 } });
    expect(atStart.error).toBeUndefined();
    expect(atStart.finished_at).toBeUndefined();
    expect(ctx.workDir).toMatch(/attempt-3$/);
    end({ metrics: { score: 1 } });
    await running;
    expect(t.b).toMatchObject({ status: 'completed', attempts: 3, results: { metrics: { score: 1 } } });
    expect(t.b.error).toBeUndefined();
  });
});
