import { QueueFullError } from '../errors.js';

/** What a refused submission (queue full) is told to wait before trying again. */
const QUEUE_FULL_RETRY_AFTER_SECONDS = 5;

export interface SchedulerOptions {
  maxConcurrentEvaluations: number;
  /** Evaluations waiting for a slot before submissions are refused; unbounded when absent. */
  maxQueuedEvaluations?: number;
  /**
   * How many evaluations wait, when that is not this process's queue: several replicas on one store
   * queue in the store (stored and not yet started), so the bound is counted there. Default: the queue.
   */
  countWaiting?: () => Promise<number>;
  /** Runs one evaluation to its end; the scheduler starts the next when it settles. */
  run(id: string): Promise<void>;
  /** Called when `run` rejects (it should not). */
  onCrash(id: string, err: unknown): void;
}

/**
 * Admission and queueing: evaluations wait in submission order and at most
 * `maxConcurrentEvaluations` run at once. A submission beyond `maxQueuedEvaluations` waiting ones is
 * refused (429) before anything is stored. The waiting ones are this process's queue, or what
 * `countWaiting` finds (the replicas' shared queue), plus the submissions being stored here.
 */
export class Scheduler {
  private readonly queue: string[] = [];
  private readonly running = new Set<Promise<void>>();
  private active = 0;
  /** Submissions being stored: counted against the bound before they reach the queue. */
  private admitting = 0;
  private stopped = false;

  constructor(private readonly o: SchedulerOptions) {}

  /**
   * Reserves a place for a submission while it is being stored; rejects with QueueFullError when
   * there is none. Call the returned function once the submission is queued (or was not stored).
   */
  async admit(): Promise<() => void> {
    // Counted at once, so that submissions admitted here together see each other.
    this.admitting++;
    let released = false;
    const release = (): void => {
      if (!released) this.admitting--;
      released = true;
    };
    const limit = this.o.maxQueuedEvaluations;
    if (limit === undefined) return release;
    try {
      const waiting = this.o.countWaiting ? await this.o.countWaiting() : this.queue.length;
      if (waiting + this.admitting - 1 >= limit)
        throw new QueueFullError(limit, QUEUE_FULL_RETRY_AFTER_SECONDS);
    } catch (err) {
      release();
      throw err;
    }
    return release;
  }

  enqueue(id: string): void {
    this.queue.push(id);
    this.pump();
  }

  /** Takes a waiting evaluation out of the queue; false when it was not waiting. */
  remove(id: string): boolean {
    const i = this.queue.indexOf(id);
    if (i < 0) return false;
    this.queue.splice(i, 1);
    return true;
  }

  /** Starts waiting evaluations while there are free slots. */
  pump(): void {
    while (!this.stopped && this.active < this.o.maxConcurrentEvaluations && this.queue.length > 0) {
      const id = this.queue.shift()!;
      this.active++;
      const p = this.o
        .run(id)
        .catch((err: unknown) => this.o.onCrash(id, err))
        .finally(() => {
          this.active--;
          this.running.delete(p);
          this.pump();
        });
      this.running.add(p);
    }
  }

  /** Starts nothing more, forgets waiting evaluations, and resolves once running ones have settled. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.queue.length = 0;
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}
