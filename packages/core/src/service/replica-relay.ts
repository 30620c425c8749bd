import { describeError } from '../errors.js';
import type { ReplicaEvents } from '../extension-points/store.js';
import type { Logger } from '../logging.js';
import type { EventHub } from './event-hub.js';
import type { EventInput } from './live-evaluations.js';

/** Topics of the messages between replicas. */
export const TOPICS = {
  /** `{ items: [{ id, event }] }`: events of evaluations the publishing replica runs. */
  events: 'evaluation.events',
  /** `{ id, token }`: a replica took the evaluation over to cancel it; the former holder stops. */
  cancel: 'evaluation.cancel',
  /** Work can be claimed now (a submission nobody claimed, leases released at a shutdown). */
  claimable: 'evaluations.claimable',
} as const;

/** Events are sent in batches at most this often (one database write per batch). */
const FLUSH_MS = 100;

export interface ReplicaRelayOptions {
  events: ReplicaEvents;
  hub: EventHub;
  logger: Logger;
  /** Whether this replica runs the evaluation (its events are its own, not mirrored). */
  owns(id: string): boolean;
  onCancel(id: string, token: number): void;
  onClaimable(): void;
}

/**
 * Carries evaluation events between replicas: what the replica running an evaluation publishes
 * locally is sent to the others in batches, and what others send is published into this
 * replica's EventHub, so an SSE client of any replica follows any evaluation. Also carries cancel
 * take-overs and "work to claim" hints.
 */
export class ReplicaRelay {
  private batch: { id: string; event: EventInput }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly unsubscribe: () => void;

  constructor(private readonly o: ReplicaRelayOptions) {
    this.unsubscribe = o.events.subscribe((e) => {
      const p = (e.payload ?? {}) as Record<string, unknown>;
      if (e.topic === TOPICS.events) {
        for (const item of (p.items ?? []) as { id: string; event: EventInput }[]) this.mirror(item);
      } else if (e.topic === TOPICS.cancel && typeof p.id === 'string') {
        o.onCancel(p.id, Number(p.token));
      } else if (e.topic === TOPICS.claimable) o.onClaimable();
    });
  }

  /** An event of an evaluation this replica runs: sent to the others with the next batch. */
  push(id: string, event: EventInput): void {
    this.batch.push({ id, event });
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, FLUSH_MS);
  }

  publish(topic: string, payload: unknown): Promise<void> {
    return this.o.events.publish(topic, payload).catch((err: unknown) => {
      this.o.logger.warn({ topic, err: describeError(err) }, 'cannot publish to the other replicas');
    });
  }

  /** Sends what is batched (in order after the batch before). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const items = this.batch;
    this.batch = [];
    if (items.length > 0) this.flushing = this.flushing.then(() => this.publish(TOPICS.events, { items }));
    return this.flushing;
  }

  async close(): Promise<void> {
    await this.flush();
    this.unsubscribe();
  }

  private mirror({ id, event }: { id: string; event: EventInput }): void {
    if (typeof id !== 'string' || !event || this.o.owns(id)) return;
    this.o.hub.publish(id, event);
    if (event.type === 'result') this.o.hub.close(id);
  }
}
