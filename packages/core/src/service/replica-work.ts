import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { ConflictError, describeError, type LeaseLostError } from '../errors.js';
import type {
  EvaluationLease,
  EvaluationLeases,
  EvaluationStore,
  TrackingOp,
} from '../extension-points/store.js';
import type { Logger } from '../logging.js';
import { isTerminalEvaluation, type Evaluation } from '../types.js';
import type { EvaluationRunner } from './evaluation-runner.js';
import type { EventHub } from './event-hub.js';
import { LeaseKeeper } from './lease-keeper.js';
import { now, type DocumentStore, type EventInput, type LiveEvaluations } from './live-evaluations.js';
import type { ProviderRegistry } from './provider-registry.js';
import { prepareResume } from './recovery.js';
import { ReplicaRelay, TOPICS } from './replica-relay.js';
import type { Scheduler } from './scheduler.js';
import type { TrackingHost, TrackingOutbox } from './tracking-outbox.js';

export interface ReplicaWorkOptions {
  store: EvaluationStore & { leases: EvaluationLeases };
  hubEvents: EventHub;
  providers: ProviderRegistry;
  logger: Logger;
  leaseMs: number;
  maxConcurrentEvaluations: number;
  maxAttempts: number;
  /** The runtime's commands outlive a replica (Runtime.resumable): a claimed benchmark re-attaches. */
  resumable: boolean;
  trackingEnabled: boolean;
}

interface Parts {
  live: LiveEvaluations;
  scheduler: Scheduler;
  runner: EvaluationRunner;
  outbox: TrackingOutbox;
}

/**
 * How a replica shares the work with the others on a store with leases (PostgreSQL). It never
 * recovers "every unfinished evaluation": it claims evaluations (up to its free slots; new
 * submissions of any replica, expired leases of dead ones) at start, every third of the lease and
 * whenever a slot frees, and resumes each through the restart path (`prepareResume`: finished
 * benchmarks kept, unfinished re-run, `max_attempts` honoured). Its writes carry the lease; when a
 * lease is lost the evaluation's benchmarks are aborted and nothing more is written. The
 * evaluation's tracking journal is drained only while the lease is held; the lease is released once
 * the run is finished and delivered. Events go to the other replicas through the relay.
 */
export class ReplicaWork {
  readonly keeper: LeaseKeeper;
  private relay: ReplicaRelay | undefined;
  private parts!: Parts;
  private polling: Promise<void> | undefined;
  private pollAgain = false;
  private closing = false;
  /** Claimed finished evaluations whose tracking journal is all that is left. */
  private readonly trackingOnly = new Set<string>();

  constructor(private readonly o: ReplicaWorkOptions) {
    this.keeper = new LeaseKeeper({
      leases: o.store.leases,
      owner: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
      leaseMs: o.leaseMs,
      logger: o.logger,
      onLost: (id, err) => this.lost(id, err),
      onTick: () => void this.poll(),
    });
  }

  /** Live documents are written through the lease. */
  readonly documents: DocumentStore = {
    getEvaluation: (id) => this.o.store.getEvaluation(id),
    saveEvaluation: (e) => this.keeper.saveEvaluation(e),
  };

  /** What the tracking outbox needs to drain only what this replica holds, with the lease. */
  readonly trackingHost: Required<
    Pick<TrackingHost, 'owns' | 'appendTrackingOps' | 'completeTrackingOps' | 'drained'>
  > = {
    owns: (id) => this.keeper.has(id),
    appendTrackingOps: (id, ops) => this.keeper.appendTrackingOps(id, ops),
    completeTrackingOps: (id, seqs) => this.keeper.completeTrackingOps(id, seqs),
    drained: (id, finished) => {
      // A run still open is released only when it was claimed with nothing but its journal left.
      if (this.parts.live.has(id) || !(finished || this.trackingOnly.delete(id))) return;
      this.trackingOnly.delete(id);
      void this.keeper.release(id);
    },
  };

  /** An event published here: the other replicas get it when this replica runs the evaluation. */
  published(id: string, event: EventInput): void {
    if (this.keeper.has(id)) this.relay?.push(id, event);
  }

  attach(parts: Parts): void {
    this.parts = parts;
    const events = this.o.store.events;
    if (events)
      this.relay = new ReplicaRelay({
        events,
        hub: this.o.hubEvents,
        logger: this.o.logger,
        owns: (id) => parts.live.has(id),
        onCancel: (id, token) => {
          const mine = this.keeper.token(id);
          if (mine !== undefined && mine < token)
            this.keeper.forfeit(id, 'another replica took it over to cancel it');
        },
        onClaimable: () => void this.poll(),
      });
  }

  /** Claims what this replica can run now and keeps doing so; returns how many it claimed. */
  async start(): Promise<number> {
    const before = this.keeper.size;
    await this.poll();
    this.keeper.start();
    return this.keeper.size - before;
  }

  /**
   * A submission stored by this replica: its first tracking ops are journaled (before anyone may
   * hold it), then it is claimed here when a slot is free, else left to whichever replica has one.
   */
  async submitted(e: Evaluation, trackingOps: TrackingOp[]): Promise<void> {
    if (this.o.trackingEnabled && trackingOps.length > 0)
      await this.o.store
        .appendTrackingOps(e.id, trackingOps)
        .catch((err: unknown) =>
          this.o.logger.error(
            { evaluation_id: e.id, err: describeError(err) },
            'cannot journal tracking operations',
          ),
        );
    const lease = this.free() > 0 ? (await this.keeper.claim(1, [e.id]).catch(() => []))[0] : undefined;
    if (lease) await this.adoptOrRelease(lease, e);
    else void this.relay?.publish(TOPICS.claimable, {});
  }

  /**
   * Cancels an evaluation this replica does not run: takes its lease over (the holder's next renew
   * or write is rejected, and the event tells it to stop at once), then closes it as cancelled.
   */
  async cancel(id: string): Promise<Evaluation> {
    const [lease] = await this.keeper.claim(1, [id], true);
    const finished = (e: Evaluation | undefined): ConflictError =>
      new ConflictError(
        'evaluation_finished',
        `Evaluation '${id}' has already finished (${e?.status ?? 'gone'}); there is nothing to cancel.`,
      );
    if (!lease) throw finished(await this.o.store.getEvaluation(id));
    void this.relay?.publish(TOPICS.cancel, { id, token: lease.token });
    const e = await this.o.store.getEvaluation(id);
    if (!e || isTerminalEvaluation(e.status)) {
      await this.adopt(lease);
      throw finished(e);
    }
    const { live, runner } = this.parts;
    const entry = live.add(e);
    entry.cancelRequested = true;
    for (const [i, b] of e.benchmarks.entries()) {
      if (b.status === 'pending' || b.status === 'running')
        live.setBenchmark(entry, i, {
          status: 'cancelled',
          finished_at: now(),
          error: {
            code: 'cancelled',
            message: b.status === 'running' ? 'Cancelled while running.' : 'Cancelled before it started.',
          },
        });
    }
    this.parts.outbox.kick(id);
    await runner.finish(entry);
    this.finished(id);
    return (await entry.done) ?? e;
  }

  /** The scheduler is done with an evaluation (finished, interrupted or lost): free its lease, fill the slot. */
  afterRun(id: string): void {
    if (!this.parts.live.has(id)) this.finished(id);
    void this.poll();
  }

  /** Stops claiming (first step of a graceful stop). */
  stopClaiming(): void {
    this.closing = true;
  }

  /** After the service stopped: every lease released, the others told there is work to claim. */
  async close(): Promise<void> {
    this.closing = true;
    await this.polling;
    const held = this.keeper.size;
    await this.keeper.stop();
    if (held > 0) await this.relay?.publish(TOPICS.claimable, {});
    await this.relay?.close();
  }

  private free(): number {
    return this.o.maxConcurrentEvaluations - this.parts.live.size;
  }

  /** One claim round at a time; a request meanwhile runs another right after. */
  private poll(): Promise<void> {
    if (this.closing) return Promise.resolve();
    if (this.polling) {
      this.pollAgain = true;
      return this.polling;
    }
    this.polling = (async () => {
      do {
        this.pollAgain = false;
        const free = this.free();
        if (free <= 0 || this.closing) break;
        for (const lease of await this.keeper.claim(free)) await this.adoptOrRelease(lease);
      } while (this.pollAgain && !this.closing);
    })()
      .catch((err: unknown) =>
        this.o.logger.warn({ err: describeError(err) }, 'cannot claim work; trying again later'),
      )
      .finally(() => {
        this.polling = undefined;
      });
    return this.polling;
  }

  /** A claim that cannot be taken up (the store failed meanwhile) is given back, not kept idle. */
  private async adoptOrRelease(lease: EvaluationLease, fresh?: Evaluation): Promise<void> {
    try {
      await this.adopt(lease, fresh);
    } catch (err) {
      this.o.logger.warn(
        { evaluation_id: lease.evaluationId, err: describeError(err) },
        'cannot take up a claimed evaluation; giving it back',
      );
      if (!this.parts.live.has(lease.evaluationId)) await this.keeper.release(lease.evaluationId);
    }
  }

  /** Takes up a claimed evaluation the way a restart does. `fresh`: just submitted here. */
  private async adopt(lease: EvaluationLease, fresh?: Evaluation): Promise<void> {
    const id = lease.evaluationId;
    const { live, scheduler, runner, outbox } = this.parts;
    const e = fresh ?? (await this.o.store.getEvaluation(id));
    if (!e || live.has(id)) return;
    if (isTerminalEvaluation(e.status)) {
      // Only its tracking is left to deliver.
      if (this.o.trackingEnabled && (await this.o.store.pendingTrackingOps(id)).length > 0) {
        this.trackingOnly.add(id);
        outbox.kick(id);
      } else await this.keeper.release(id);
      return;
    }
    const stillToRun = prepareResume(e, this.o.providers, {
      maxAttempts: this.o.maxAttempts,
      resumable: this.o.resumable,
    });
    if (!fresh)
      this.o.logger.info(
        { evaluation_id: id, resume: stillToRun, token: lease.token },
        'claimed an unfinished evaluation',
      );
    const entry = live.add(e);
    if (fresh) live.publish(id, { type: 'status', status: 'pending' });
    outbox.kick(id);
    if (stillToRun) scheduler.enqueue(id);
    else {
      await runner.finish(entry);
      this.finished(id);
    }
  }

  /** The evaluation is closed here: without tracking to deliver, its lease goes at once. */
  private finished(id: string): void {
    if (!this.o.trackingEnabled) void this.keeper.release(id);
  }

  /** Another replica has the evaluation now: stop its benchmarks, write nothing more. */
  private lost(id: string, _err: LeaseLostError): void {
    const { live, scheduler, outbox } = this.parts;
    outbox.forget(id);
    this.trackingOnly.delete(id);
    const entry = live.get(id);
    if (!entry) return;
    scheduler.remove(id);
    live.delete(id);
    entry.abort.abort('lease_lost');
    entry.resolveDone(undefined);
  }
}
