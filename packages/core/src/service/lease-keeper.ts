import { describeError, hasErrorCode, LeaseLostError } from '../errors.js';
import type { EvaluationLease, EvaluationLeases, TrackingOp } from '../extension-points/store.js';
import type { Logger } from '../logging.js';
import type { Evaluation } from '../types.js';

export const DEFAULT_LEASE_MS = 15_000;

export interface LeaseKeeperOptions {
  leases: EvaluationLeases;
  /** This replica's id, unique among the replicas. */
  owner: string;
  leaseMs: number;
  logger: Logger;
  /** The lease of `id` ended (rejected renew or write, or expired while the store was unreachable). */
  onLost(id: string, err: LeaseLostError): void;
  /** Called after every renewal round: look for claimable work. */
  onTick(): void;
}

interface Held {
  lease: EvaluationLease;
  /** Local time by which the lease has surely ended unless renewed (measured from the renew's send). */
  deadline: number;
}

const isLost = (err: unknown): err is LeaseLostError => hasErrorCode(err, 'lease_lost');

/**
 * The leases this replica holds (stores with `leases`: several replicas on one database). Claims
 * evaluations, renews every lease at a third of its length, and is the only way this replica writes
 * a leased evaluation: every save and tracking-journal write carries the lease (fenced by the
 * store). A lease that is rejected, or that ran out while the store could not be reached, is
 * dropped and reported once through `onLost`; later writes for that evaluation are refused here,
 * without reaching the store.
 */
export class LeaseKeeper {
  private readonly held = new Map<string, Held>();
  private timer: NodeJS.Timeout | undefined;
  private renewing: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly o: LeaseKeeperOptions) {}

  get owner(): string {
    return this.o.owner;
  }

  get size(): number {
    return this.held.size;
  }

  has(id: string): boolean {
    return this.held.has(id);
  }

  token(id: string): number | undefined {
    return this.held.get(id)?.lease.token;
  }

  /** Claims up to `limit` evaluations that need work (or those of `ids`; `takeOver`: even when held). */
  async claim(limit: number, ids?: string[], takeOver = false): Promise<EvaluationLease[]> {
    if (this.stopped || limit < 1) return [];
    const sentAt = Date.now();
    const got = await this.o.leases.claim(this.o.owner, {
      leaseMs: this.o.leaseMs,
      limit,
      ...(ids ? { ids } : {}),
      ...(takeOver ? { takeOver } : {}),
    });
    for (const lease of got) this.held.set(lease.evaluationId, { lease, deadline: sentAt + this.o.leaseMs });
    return got;
  }

  /** Renews every held lease at a third of its length, then calls `onTick`. */
  start(): void {
    if (this.timer || this.stopped) return;
    const period = Math.max(100, Math.floor(this.o.leaseMs / 3));
    this.timer = setInterval(() => {
      // Even while a renew waits on an unreachable store, a lease that ran out stops its work.
      this.expireOverdue();
      if (this.renewing) return;
      this.renewing = this.renewAll().finally(() => {
        this.renewing = undefined;
        if (!this.stopped) this.o.onTick();
      });
    }, period);
    this.timer.unref();
  }

  private expireOverdue(): void {
    const t = Date.now();
    for (const [id, h] of [...this.held.entries()])
      if (t >= h.deadline)
        this.lose(
          id,
          new LeaseLostError(id, h.lease.token, 'it ran out while the store could not be reached'),
        );
  }

  private async renewAll(): Promise<void> {
    this.expireOverdue();
    await Promise.all(
      [...this.held.entries()].map(async ([id, h]) => {
        const sentAt = Date.now();
        try {
          const lease = await this.o.leases.renew(h.lease, this.o.leaseMs);
          if (this.held.get(id) === h) this.held.set(id, { lease, deadline: sentAt + this.o.leaseMs });
        } catch (err) {
          if (isLost(err)) this.lose(id, err, 'renew');
          else
            this.o.logger.warn(
              { evaluation_id: id, err: describeError(err) },
              'cannot renew a lease; trying again',
            );
        }
      }),
    );
  }

  /** Gives an evaluation up (finished, or this replica stops); other replicas may claim it at once. */
  async release(id: string): Promise<void> {
    const h = this.held.get(id);
    if (!h) return;
    this.held.delete(id);
    await this.o.leases
      .release(h.lease)
      .catch((err: unknown) =>
        this.o.logger.warn(
          { evaluation_id: id, err: describeError(err) },
          'cannot release a lease; it expires by itself',
        ),
      );
  }

  /** Drops a lease this replica no longer may use (taken over by another replica). */
  forfeit(id: string, reason: string): void {
    const h = this.held.get(id);
    if (h) this.lose(id, new LeaseLostError(id, h.lease.token, reason));
  }

  saveEvaluation(e: Evaluation): Promise<void> {
    return this.write(e.id, (lease) => this.o.leases.saveEvaluation(lease, e));
  }

  appendTrackingOps(id: string, ops: TrackingOp[]): Promise<void> {
    return this.write(id, (lease) => this.o.leases.appendTrackingOps(lease, ops));
  }

  completeTrackingOps(id: string, seqs: number[]): Promise<void> {
    return this.write(id, (lease) => this.o.leases.completeTrackingOps(lease, seqs));
  }

  /** Stops renewing and claiming; releases every lease still held. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.renewing;
    await Promise.all([...this.held.keys()].map((id) => this.release(id)));
  }

  private async write(id: string, fn: (lease: EvaluationLease) => Promise<void>): Promise<void> {
    const h = this.held.get(id);
    if (!h) throw new LeaseLostError(id, 0, 'this replica does not hold it');
    try {
      await fn(h.lease);
    } catch (err) {
      if (isLost(err) && this.held.get(id) === h) this.lose(id, err, 'write');
      throw err;
    }
  }

  private lose(id: string, err: LeaseLostError, what?: 'renew' | 'write'): void {
    this.held.delete(id);
    this.o.logger.warn(
      { evaluation_id: id, err: { code: err.code, message: err.message }, rejected: what },
      what ? `${what} rejected: lease_lost; this replica stops working on the evaluation` : err.message,
    );
    this.o.onLost(id, err);
  }
}
