import type { EvaluationEvent } from '../types.js';

type EventInput = Omit<EvaluationEvent, 'seq' | 'time' | 'evaluation_id'>;

interface Channel {
  events: EvaluationEvent[];
  seq: number;
  closed: boolean;
  waiters: Set<() => void>;
}

export interface EventHubOptions {
  /** Events kept per evaluation for resumption (older ones are dropped). */
  maxEventsPerEvaluation?: number;
  /** Finished streams kept for late subscribers; older ones are dropped (their result stays in the store). */
  maxClosedStreams?: number;
  /** How long a finished stream stays resumable. */
  closedRetentionMs?: number;
}

/**
 * Per-evaluation event streams: status changes, progress, log lines and the final result. Each event
 * carries a sequence number; a subscriber resumes after the last one it saw (SSE Last-Event-ID).
 */
export class EventHub {
  private readonly channels = new Map<string, Channel>();
  /** Finished streams, oldest first, with the time they closed. */
  private readonly closedOrder = new Map<string, number>();
  /** Called with every event of every evaluation as it is published. */
  private readonly listeners = new Set<(event: EvaluationEvent) => void>();
  private readonly max: number;
  private readonly maxClosed: number;
  private readonly retentionMs: number;

  constructor(options: EventHubOptions = {}) {
    this.max = options.maxEventsPerEvaluation ?? 2000;
    this.maxClosed = options.maxClosedStreams ?? 500;
    this.retentionMs = options.closedRetentionMs ?? 10 * 60_000;
  }

  private channel(id: string): Channel {
    let c = this.channels.get(id);
    if (!c) {
      c = { events: [], seq: 0, closed: false, waiters: new Set() };
      this.channels.set(id, c);
    }
    return c;
  }

  has(id: string): boolean {
    return this.channels.has(id);
  }

  publish(evaluationId: string, event: EventInput): EvaluationEvent {
    const c = this.channel(evaluationId);
    if (c.closed) c.closed = false;
    const full = {
      ...event,
      seq: ++c.seq,
      time: new Date().toISOString(),
      evaluation_id: evaluationId,
    } as EvaluationEvent;
    c.events.push(full);
    if (c.events.length > this.max) {
      // Keep status/result events, drop the oldest progress and log lines first.
      const idx = c.events.findIndex((e) => e.type === 'progress' || e.type === 'log');
      c.events.splice(idx >= 0 ? idx : 0, 1);
    }
    for (const w of c.waiters) w();
    c.waiters.clear();
    for (const listener of this.listeners) listener(full);
    return full;
  }

  /**
   * Calls `listener` synchronously with every event of every evaluation as it is published (one
   * subscription for all evaluations, unlike `subscribe`). The listener must not throw or modify the
   * event. Returns the function that removes it.
   */
  listen(listener: (event: EvaluationEvent) => void): () => void {
    // A wrapper per call, so the same function registered twice is also removed twice.
    const entry = (event: EvaluationEvent): void => listener(event);
    this.listeners.add(entry);
    return () => void this.listeners.delete(entry);
  }

  /** Marks the stream finished: subscribers end after the events already published. */
  close(evaluationId: string): void {
    const c = this.channel(evaluationId);
    c.closed = true;
    for (const w of c.waiters) w();
    c.waiters.clear();
    const at = Date.now();
    this.closedOrder.delete(evaluationId);
    this.closedOrder.set(evaluationId, at);
    // Evict the oldest finished streams: beyond the count limit, or older than the retention time.
    for (const [id, closedAt] of this.closedOrder) {
      if (this.closedOrder.size <= this.maxClosed && at - closedAt < this.retentionMs) break;
      this.forget(id);
    }
  }

  /** Drop an evaluation's buffered events (memory bound for long-running hubs). */
  forget(evaluationId: string): void {
    this.channels.delete(evaluationId);
    this.closedOrder.delete(evaluationId);
  }

  /** Events after `afterSeq`, then live ones until the stream closes or `signal` aborts. */
  async *subscribe(
    evaluationId: string,
    afterSeq = 0,
    signal?: AbortSignal,
  ): AsyncGenerator<EvaluationEvent> {
    const c = this.channel(evaluationId);
    let last = afterSeq;
    while (!signal?.aborted) {
      const pending = c.events.filter((e) => e.seq > last);
      for (const e of pending) {
        last = e.seq;
        yield e;
      }
      if (c.closed && !c.events.some((e) => e.seq > last)) return;
      if (pending.length > 0) continue;
      await new Promise<void>((resolve) => {
        const onAbort = (): void => resolve();
        c.waiters.add(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        });
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
  }
}
