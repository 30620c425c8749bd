/**
 * The in-flight slots of one model server, shared by every evaluation (route) that uses it. A slot
 * is one sequence: a request takes as many as it carries prompts (a batched completion of 16 takes
 * 16), and the number of slots is the server's adaptive limit. Requests beyond it wait here, one
 * FIFO queue per route, and freed slots go to the waiting route with the fewest sequences in flight
 * (max-min fair share: two evaluations on one server get half each, whatever concurrency and batch
 * size their engines use). A request larger than the whole limit is let through alone, once nothing
 * else is in flight, so that it is never starved.
 */
import { AdaptiveLimit } from './adaptive-limit.js';
import type { AdaptiveLimitOptions, LimitState } from './adaptive-limit.js';

/** How a request that held a slot ended, for the limit. */
export type SlotOutcome =
  | { kind: 'ok'; rttMs: number }
  /** 429, 503, a timeout or a reset connection. */
  | { kind: 'overload' }
  /** Says nothing about the server (client went away, a streamed answer, a 4xx). */
  | { kind: 'ignore' };

export interface Slot {
  /** Sequences in flight to the server when this one got its slots (including its own). */
  readonly inFlight: number;
  release(outcome: SlotOutcome): void;
}

export class SlotAbortedError extends Error {
  constructor() {
    super('the request was abandoned while waiting for a slot');
    this.name = 'SlotAbortedError';
  }
}

interface Waiter {
  route: string;
  weight: number;
  grant: (slot: Slot) => void;
}

export interface ServerLimiterState extends LimitState {
  inFlight: number;
  queued: number;
  peakInFlight: number;
  /** Sequences in flight per route. */
  routes: Record<string, number>;
}

export class ServerLimiter {
  readonly limit: AdaptiveLimit;
  private inFlight = 0;
  private peakInFlight = 0;
  private readonly queues = new Map<string, Waiter[]>();
  private readonly routeInFlight = new Map<string, number>();
  private turn = 0;
  private readonly lastGrant = new Map<string, number>();

  constructor(options: Partial<AdaptiveLimitOptions> = {}) {
    this.limit = new AdaptiveLimit(options);
  }

  state(): ServerLimiterState {
    let queued = 0;
    for (const q of this.queues.values()) queued += q.length;
    return {
      ...this.limit.state(),
      inFlight: this.inFlight,
      queued,
      peakInFlight: this.peakInFlight,
      routes: Object.fromEntries(this.routeInFlight),
    };
  }

  /**
   * Waits for `weight` slots (the request's sequences) for `route`; `first` puts it at the head of
   * its route's queue (a retry).
   */
  acquire(route: string, signal?: AbortSignal, first = false, weight = 1): Promise<Slot> {
    if (signal?.aborted) return Promise.reject(new SlotAbortedError());
    const w = Math.max(1, Math.floor(weight));
    if (this.fits(w) && !this.hasWaiters()) return Promise.resolve(this.take(route, w));
    return new Promise<Slot>((resolve, reject) => {
      const waiter: Waiter = {
        route,
        weight: w,
        grant: (slot) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(slot);
        },
      };
      const onAbort = (): void => {
        const q = this.queues.get(route);
        const i = q?.indexOf(waiter) ?? -1;
        if (q && i >= 0) {
          q.splice(i, 1);
          if (q.length === 0) this.queues.delete(route);
        }
        reject(new SlotAbortedError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      let q = this.queues.get(route);
      if (!q) this.queues.set(route, (q = []));
      if (first) q.unshift(waiter);
      else q.push(waiter);
      this.dispatch();
    });
  }

  private hasWaiters(): boolean {
    return this.queues.size > 0;
  }

  private fits(weight: number): boolean {
    return this.inFlight === 0 || this.inFlight + weight <= this.limit.limit;
  }

  private take(route: string, weight: number): Slot {
    this.inFlight += weight;
    this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
    this.routeInFlight.set(route, (this.routeInFlight.get(route) ?? 0) + weight);
    this.lastGrant.set(route, ++this.turn);
    const inFlight = this.inFlight;
    const epoch = this.limit.epoch;
    const sentAt = performance.now();
    let done = false;
    return {
      inFlight,
      release: (outcome) => {
        if (done) return;
        done = true;
        this.inFlight -= weight;
        const n = (this.routeInFlight.get(route) ?? weight) - weight;
        if (n <= 0) this.routeInFlight.delete(route);
        else this.routeInFlight.set(route, n);
        if (outcome.kind === 'ok')
          this.limit.onSample(outcome.rttMs, inFlight, sentAt + outcome.rttMs, epoch, weight);
        else if (outcome.kind === 'overload') this.limit.onOverload();
        this.dispatch();
      },
    };
  }

  /**
   * Hands free slots to waiting routes: fewest in flight first, then the longest unserved. The
   * chosen route's next request waits until its sequences fit (no overtaking by smaller ones, which
   * would starve a batch).
   */
  private dispatch(): void {
    while (this.inFlight < this.limit.limit && this.queues.size > 0) {
      let best: string | undefined;
      for (const route of this.queues.keys()) {
        if (best === undefined) {
          best = route;
          continue;
        }
        const a = this.routeInFlight.get(route) ?? 0;
        const b = this.routeInFlight.get(best) ?? 0;
        if (a < b || (a === b && (this.lastGrant.get(route) ?? 0) < (this.lastGrant.get(best) ?? 0)))
          best = route;
      }
      const q = this.queues.get(best!)!;
      if (!this.fits(q[0]!.weight)) return;
      const waiter = q.shift()!;
      if (q.length === 0) this.queues.delete(best!);
      waiter.grant(this.take(waiter.route, waiter.weight));
    }
  }
}
