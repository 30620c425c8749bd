import { describe, expect, it, vi } from 'vitest';
import { LeaseLostError, QueueFullError } from '../errors.js';
import { silentLogger } from '../logging.js';
import { MemoryStore } from '../stores/memory-store.js';
import { sampleEvaluation } from '../testing/conformance.js';
import { evaluationScheduler, type EvaluationSchedulerDeps } from './evaluation-scheduler.js';
import { EventHub } from './event-hub.js';
import { LiveEvaluations, type LiveEvaluation } from './live-evaluations.js';

/** How long a state the units reach asynchronously is waited for (a slow CI machine). */
const eventually = { timeout: 10_000, interval: 5 };

/**
 * The service's scheduler over a real store and LiveEvaluations; the runner's runs last until the
 * test ends them (or fail as the test says), and `afterRun` calls are recorded when replicas are on.
 */
function setup(o: { replicas?: boolean; maxQueued?: number; maxConcurrent?: number } = {}) {
  const store = new MemoryStore();
  const live = new LiveEvaluations(store, new EventHub());
  const logger = silentLogger();
  const crashes = vi.spyOn(logger, 'error');
  const started: LiveEvaluation[] = [];
  const ends = new Map<string, { ok: () => void; fail: (err: unknown) => void }>();
  const afterRun: string[] = [];
  const deps: EvaluationSchedulerDeps = {
    settings: {
      maxConcurrentEvaluations: o.maxConcurrent ?? 1,
      ...(o.maxQueued !== undefined ? { maxQueuedEvaluations: o.maxQueued } : {}),
    },
    store,
    live,
    logger,
    runner: {
      run: (e) =>
        new Promise<void>((ok, fail) => {
          started.push(e);
          ends.set(e.evaluation.id, { ok, fail });
        }),
    },
    ...(o.replicas ? { replicas: { afterRun: (id: string) => void afterRun.push(id) } } : {}),
  };
  const scheduler = evaluationScheduler(deps);
  const add = (id: string): LiveEvaluation => live.add(sampleEvaluation({ id, status: 'pending' }));
  return { store, live, scheduler, started, ends, afterRun, crashes, add };
}

describe('evaluationScheduler', () => {
  it("runs each queued evaluation's live entry through the runner, maxConcurrentEvaluations at a time", async () => {
    const { scheduler, started, ends, add, crashes } = setup({ maxConcurrent: 2 });
    const [a, b, c] = ['a', 'b', 'c'].map(add);
    for (const id of ['a', 'b', 'c']) scheduler.enqueue(id);
    expect(started).toEqual([a, b]);
    ends.get('a')!.ok();
    await vi.waitFor(() => expect(started).toEqual([a, b, c]), eventually);
    ends.get('b')!.ok();
    ends.get('c')!.ok();
    await scheduler.stop();
    expect(crashes).not.toHaveBeenCalled();
  });

  it('runs nothing for an evaluation no longer live, and tells the replicas the run is over either way', async () => {
    const { scheduler, started, ends, afterRun, add } = setup({ replicas: true });
    add('live-one');
    scheduler.enqueue('gone');
    scheduler.enqueue('live-one');
    await vi.waitFor(() => expect(started.map((e) => e.evaluation.id)).toEqual(['live-one']), eventually);
    expect(afterRun).toEqual(['gone']);
    ends.get('live-one')!.ok();
    await scheduler.stop();
    expect(afterRun).toEqual(['gone', 'live-one']);
  });

  it('logs a crashed run without replicas, a lost lease included', async () => {
    const { scheduler, ends, add, crashes } = setup({ maxConcurrent: 2 });
    add('a');
    add('b');
    scheduler.enqueue('a');
    scheduler.enqueue('b');
    ends.get('a')!.fail(new Error('boom'));
    ends.get('b')!.fail(new LeaseLostError('b', 1, 'taken over'));
    await scheduler.stop();
    expect(crashes).toHaveBeenCalledTimes(2);
    expect(crashes.mock.calls.map((c) => (c[0] as { evaluation_id: string }).evaluation_id).sort()).toEqual([
      'a',
      'b',
    ]);
    expect(crashes.mock.calls[0]![1]).toBe('evaluation crashed');
  });

  it('with replicas, a run ended by a lost lease is not a crash; any other failure is', async () => {
    const { scheduler, ends, add, crashes, afterRun } = setup({ replicas: true, maxConcurrent: 2 });
    add('lost');
    add('broken');
    scheduler.enqueue('lost');
    scheduler.enqueue('broken');
    ends.get('lost')!.fail(new LeaseLostError('lost', 3, 'another replica took it over'));
    ends.get('broken')!.fail(new Error('boom'));
    await scheduler.stop();
    expect(crashes).toHaveBeenCalledTimes(1);
    expect(crashes.mock.calls[0]![0]).toMatchObject({ evaluation_id: 'broken' });
    expect(afterRun.sort()).toEqual(['broken', 'lost']);
  });

  it("bounds admission by this process's queue alone", async () => {
    const { scheduler, store, add, ends } = setup({ maxQueued: 1 });
    // Pending evaluations in the store do not count for a single process.
    await store.createEvaluation(sampleEvaluation({ status: 'pending' }));
    await store.createEvaluation(sampleEvaluation({ status: 'pending' }));
    (await scheduler.admit())();
    add('running');
    add('waiting');
    scheduler.enqueue('running');
    scheduler.enqueue('waiting');
    await expect(scheduler.admit()).rejects.toBeInstanceOf(QueueFullError);
    ends.get('running')!.ok();
    await vi.waitFor(() => expect(ends.has('waiting')).toBe(true), eventually);
    (await scheduler.admit())();
    ends.get('waiting')!.ok();
    await scheduler.stop();
  });

  it("with replicas, bounds admission by the store's pending evaluations, whichever replica took them", async () => {
    const { scheduler, store } = setup({ replicas: true, maxQueued: 2 });
    (await scheduler.admit())();
    await store.createEvaluation(sampleEvaluation({ status: 'pending' }));
    await store.createEvaluation(sampleEvaluation({ status: 'running' }));
    (await scheduler.admit())();
    await store.createEvaluation(sampleEvaluation({ status: 'pending' }));
    const err = await scheduler.admit().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(QueueFullError);
    expect(err).toMatchObject({ status: 429 });
  });
});
