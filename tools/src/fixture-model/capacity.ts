/**
 * Capacity model of the fixture server: continuous batching as vLLM does it, reduced to its shape.
 * Up to `capacity` sequences are served in parallel, each for a fixed service time (the `latency`
 * switch); further requests wait in a FIFO queue; when `queue` requests already wait, a new one is
 * refused (the server answers 429 or 503). A request carrying several prompts (a batched completion)
 * is that many sequences: it starts once they all fit (at most `capacity` of them at once, so a batch
 * larger than the server is served in waves, see `waves`). Pools are per counter key (the `key`
 * switch, else the switch segment), so tests sharing one fixture do not share capacity.
 */

export interface CapacityPoolStats {
  capacity: number;
  /** Most requests allowed to wait; `null` = unbounded. */
  queueLimit: number | null;
  /** Sequences in service. */
  running: number;
  /** Requests waiting. */
  queued: number;
  /** Highest number of sequences in service at once. */
  peakRunning: number;
  /** Highest number of requests waiting at once. */
  peakQueued: number;
  /** Highest number of sequences at the server at once (in service + waiting). */
  peakTotal: number;
  /** Sequences served (a batched request counts its prompts). */
  served: number;
  /** Requests served. */
  requests: number;
  /** Refused because the queue was full. */
  rejected: number;
  /** `Date.now()` when the first request of the pool started service, and when the last one finished. */
  firstStartMs: number | null;
  lastEndMs: number | null;
}

interface Waiter {
  /** Slots the request occupies: its sequences, at most the capacity. */
  slots: number;
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
  requests = 0;
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
      requests: this.requests,
      rejected: this.rejected,
      firstStartMs: this.firstStartMs,
      lastEndMs: this.lastEndMs,
    };
  }

  track(): void {
    let waiting = 0;
    for (const w of this.queue) waiting += w.slots;
    this.peakRunning = Math.max(this.peakRunning, this.running);
    this.peakQueued = Math.max(this.peakQueued, this.queue.length);
    this.peakTotal = Math.max(this.peakTotal, this.running + waiting);
  }

  fits(slots: number): boolean {
    return this.running + Math.min(slots, this.capacity) <= this.capacity;
  }

  start(slots: number): void {
    this.running += slots;
    this.firstStartMs ??= Date.now();
    this.track();
  }

  finish(slots: number, sequences: number): void {
    this.running -= slots;
    this.served += sequences;
    this.requests++;
    this.lastEndMs = Date.now();
    this.next();
  }

  next(): void {
    while (this.queue.length > 0 && this.fits(this.queue[0]!.slots)) this.queue.shift()!.grant();
  }
}

/** What `acquire` yields: slots (call `release` when the answer is sent), or why there are none. */
export type Admission = { release: () => void; waves: number } | 'full' | 'aborted';

/** How many service times a request of `sequences` prompts takes on a server of `capacity`. */
export function waves(sequences: number, capacity: number): number {
  return Math.max(1, Math.ceil(sequences / capacity));
}

export class CapacityModel {
  private readonly pools = new Map<string, Pool>();

  /**
   * Waits for service slots in the pool `key`: one per sequence of the request (`sequences`, its
   * prompt count), at most `capacity`. `capacity` and `queueLimit` come from the request's switches;
   * the latest request's values apply to the pool. Resolves `'full'` at once when the queue is
   * full, `'aborted'` when `signal` fires while waiting.
   */
  acquire(
    key: string,
    capacity: number,
    queueLimit: number | null,
    signal: AbortSignal,
    sequences = 1,
  ): Promise<Admission> {
    let pool = this.pools.get(key);
    if (!pool) {
      pool = new Pool(capacity, queueLimit);
      this.pools.set(key, pool);
    }
    pool.capacity = capacity;
    pool.queueLimit = queueLimit;
    const p = pool;
    const n = Math.max(1, sequences);
    const slots = Math.min(n, capacity);
    const slot = (): { release: () => void; waves: number } => {
      p.start(slots);
      let released = false;
      return {
        waves: waves(n, capacity),
        release: () => {
          if (released) return;
          released = true;
          p.finish(slots, n);
        },
      };
    };
    if (p.fits(slots) && p.queue.length === 0) return Promise.resolve(slot());
    if (p.queueLimit !== null && p.queue.length >= p.queueLimit) {
      p.rejected++;
      return Promise.resolve('full');
    }
    return new Promise<Admission>((resolve) => {
      const waiter: Waiter = {
        slots,
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
