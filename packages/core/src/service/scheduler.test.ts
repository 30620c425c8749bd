import { describe, expect, it } from 'vitest';
import { QueueFullError } from '../errors.js';
import { Scheduler, type SchedulerOptions } from './scheduler.js';

/** A scheduler whose runs last until the test ends them. */
function scheduler(options: Partial<SchedulerOptions> = {}) {
  const ends = new Map<string, () => void>();
  const started: string[] = [];
  const s = new Scheduler({
    maxConcurrentEvaluations: 1,
    run: (id) =>
      new Promise<void>((ok) => {
        started.push(id);
        ends.set(id, ok);
      }),
    onCrash: () => undefined,
    ...options,
  });
  return { s, started, end: (id: string) => ends.get(id)?.() };
}

const refusal = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => undefined,
    (err: unknown) => err,
  );

describe('Scheduler', () => {
  it('runs at most maxConcurrentEvaluations at once, in submission order', async () => {
    const { s, started, end } = scheduler();
    s.enqueue('a');
    s.enqueue('b');
    expect(started).toEqual(['a']);
    end('a');
    await new Promise((ok) => setImmediate(ok));
    expect(started).toEqual(['a', 'b']);
  });

  it("bounds this process's queue: a submission beyond maxQueuedEvaluations waiting ones is refused", async () => {
    const { s } = scheduler({ maxQueuedEvaluations: 2 });
    s.enqueue('running');
    (await s.admit())();
    s.enqueue('w1');
    // Being stored counts: the second place is taken until it is released.
    const storing = await s.admit();
    const err = await refusal(s.admit());
    expect(err).toBeInstanceOf(QueueFullError);
    expect(err).toMatchObject({ status: 429, retryAfterSeconds: 5 });
    storing();
    s.enqueue('w2');
    expect(await refusal(s.admit())).toBeInstanceOf(QueueFullError);
    expect(s.remove('w2')).toBe(true);
    expect(typeof (await s.admit())).toBe('function');
  });

  it('counts the shared queue with countWaiting (replicas), plus what it is storing itself', async () => {
    let waiting = 1;
    const { s } = scheduler({ maxQueuedEvaluations: 3, countWaiting: () => Promise.resolve(waiting) });
    // Two admitted together: each sees the other, whatever the count said.
    const [first, second] = await Promise.all([s.admit(), s.admit()]);
    expect(await refusal(s.admit())).toBeInstanceOf(QueueFullError);
    first();
    second();
    waiting = 3;
    expect(await refusal(s.admit())).toBeInstanceOf(QueueFullError);
    waiting = 2;
    (await s.admit())();
  });

  it('lets nothing in while the shared count cannot be read, and gives its place back', async () => {
    let down = true;
    const { s } = scheduler({
      maxQueuedEvaluations: 1,
      countWaiting: () => (down ? Promise.reject(new Error('store down')) : Promise.resolve(0)),
    });
    await expect(s.admit()).rejects.toThrow('store down');
    down = false;
    expect(typeof (await s.admit())).toBe('function');
  });
});
