/**
 * Capacity model of the fixture server: continuous batching as vLLM does it, reduced to its shape.
 * Up to `capacity` sequences are served in parallel, each for a fixed service time (the `latency`
 * switch); further requests wait in a FIFO queue; when `queue` requests already wait, a new one is
 * refused (the server answers 429 or 503). Pools are per counter key (the `key` switch, else the
 * switch segment), so tests sharing one fixture do not share capacity.
 */

export interface CapacityPoolStats {
  capacity: number;
  /** Most requests allowed to wait; `null` = unbounded. */
  queueLimit: number | null;
  running: number;
  queued: number;
  /** Highest number of requests in service at once. */
  peakRunning: number;
  /** Highest number of requests waiting at once. */
  peakQueued: number;
  /** Highest number of requests at the server at once (in service + waiting). */
  peakTotal: number;
  served: number;
  /** Refused because the queue was full. */
  rejected: number;
  /** `Date.now()` when the first request of the pool started service, and when the last one finished. */
  firstStartMs: number | null;
  lastEndMs: number | null;
}

interface Waiter {
  grant: () => void;
}

class Pool {
  capacity: number;
  queueLimit: number | null;
  running = 0;
  readonly queue: Waiter[] = [];
  peakRunning = 0;
  peakQueued = 0;
  peakTotal = 0;
  served = 0;
  rejected = 0;
  firstStartMs: number | null = null;
  lastEndMs: number | null = null;

  constructor(capacity: number, queueLimit: number | null) {
    this.capacity = capacity;
    this.queueLimit = queueLimit;
  }

  stats(): CapacityPoolStats {
    return {
      capacity: this.capacity,
      queueLimit: this.queueLimit,
      running: this.running,
      queued: this.queue.length,
      peakRunning: this.peakRunning,
      peakQueued: this.peakQueued,
      peakTotal: this.peakTotal,
      served: this.served,
      rejected: this.rejected,
      firstStartMs: this.firstStartMs,
      lastEndMs: this.lastEndMs,
    };
  }

  track(): void {
    this.peakRunning = Math.max(this.peakRunning, this.running);
    this.peakQueued = Math.max(this.peakQueued, this.queue.length);
    this.peakTotal = Math.max(this.peakTotal, this.running + this.queue.length);
  }

  start(): void {
    this.running++;
    this.firstStartMs ??= Date.now();
    this.track();
  }

  finish(): void {
    this.running--;
    this.served++;
    this.lastEndMs = Date.now();
    this.next();
  }

  next(): void {
    while (this.running < this.capacity && this.queue.length > 0) this.queue.shift()!.grant();
  }
}

/** What `acquire` yields: a slot (call `release` when the answer is sent), or why there is none. */
export type Admission = { release: () => void } | 'full' | 'aborted';

export class CapacityModel {
  private readonly pools = new Map<string, Pool>();

  /**
   * Waits for a service slot in the pool `key`. `capacity` and `queueLimit` come from the request's
   * switches; the latest request's values apply to the pool. Resolves `'full'` at once when the
   * queue is full, `'aborted'` when `signal` fires while waiting.
   */
  acquire(key: string, capacity: number, queueLimit: number | null, signal: AbortSignal): Promise<Admission> {
    let pool = this.pools.get(key);
    if (!pool) {
      pool = new Pool(capacity, queueLimit);
      this.pools.set(key, pool);
    }
    pool.capacity = capacity;
    pool.queueLimit = queueLimit;
    const p = pool;
    const slot = (): { release: () => void } => {
      p.start();
      let released = false;
      return {
        release: () => {
          if (released) return;
          released = true;
          p.finish();
        },
      };
    };
    if (p.running < p.capacity && p.queue.length === 0) return Promise.resolve(slot());
    if (p.queueLimit !== null && p.queue.length >= p.queueLimit) {
      p.rejected++;
      return Promise.resolve('full');
    }
    return new Promise<Admission>((resolve) => {
      const waiter: Waiter = {
        grant: () => {
          signal.removeEventListener('abort', onAbort);
          resolve(slot());
        },
      };
      const onAbort = (): void => {
        const i = p.queue.indexOf(waiter);
        if (i >= 0) p.queue.splice(i, 1);
        resolve('aborted');
      };
      if (signal.aborted) return resolve('aborted');
      signal.addEventListener('abort', onAbort, { once: true });
      p.queue.push(waiter);
      p.track();
    });
  }

  stats(): Record<string, CapacityPoolStats> {
    return Object.fromEntries([...this.pools].map(([key, pool]) => [key, pool.stats()]));
  }

  /** Forget a pool's counters (the pool itself is made again by its next request). */
  reset(key?: string): void {
    if (key === undefined) this.pools.clear();
    else this.pools.delete(key);
  }
}
