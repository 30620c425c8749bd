import type { InjectionToken } from 'tsyringe';
import type { Collection, Evaluation, EvaluationStatus } from '../types.js';
import type { TrackedArtifact, TrackingBatch } from './tracker.js';

export interface EvaluationQuery {
  limit: number;
  /** Opaque cursor from a previous page (newest-first keyset pagination). */
  cursor?: string;
  offset?: number;
  status?: EvaluationStatus;
  experiment?: string;
  model?: string;
  provider?: string;
  /** Experiment tags that must all match. */
  tags?: Record<string, string>;
}

export interface EvaluationPage {
  items: Evaluation[];
  next_cursor?: string;
  total: number;
}

/** One unit of tracking work, journaled before it is sent so nothing is lost when the tracker is down. */
export type TrackingOp =
  | { op: 'start' }
  | { op: 'log'; batch: TrackingBatch }
  | { op: 'artifact'; artifact: TrackedArtifact }
  | { op: 'finish' };

export interface StoredTrackingOp {
  seq: number;
  evaluationId: string;
  op: TrackingOp;
}

/** Persistence of evaluations, user collections and the tracking outbox. */
export interface EvaluationStore {
  readonly name: string;
  /** Insert a new evaluation; with an idempotency key, return the earlier one instead when it exists. */
  createEvaluation(
    evaluation: Evaluation,
    idempotencyKey?: string,
  ): Promise<{ evaluation: Evaluation; created: boolean }>;
  getEvaluation(id: string): Promise<Evaluation | undefined>;
  /** Replace the stored evaluation (same id). */
  saveEvaluation(evaluation: Evaluation): Promise<void>;
  listEvaluations(query: EvaluationQuery): Promise<EvaluationPage>;
  /** Evaluations left pending or running (e.g. by a crash), for recovery at start-up. */
  listUnfinished(): Promise<Evaluation[]>;
  /**
   * Optional: remove a finished evaluation, its idempotency key and its pending tracking operations
   * (eval-hub's `hard_delete`). Resolves false when there was no such evaluation.
   */
  deleteEvaluation?(id: string): Promise<boolean>;

  listCollections(): Promise<Collection[]>;
  getCollection(id: string): Promise<Collection | undefined>;
  /**
   * Stores a new collection; resolves false, storing nothing, when one with its id exists. Atomic:
   * of two creates of one id at once (two requests, two replicas) exactly one resolves true.
   */
  createCollection(collection: Collection): Promise<boolean>;
  /** Stores the collection, replacing the one with its id. */
  putCollection(collection: Collection): Promise<void>;
  deleteCollection(id: string): Promise<boolean>;

  appendTrackingOps(evaluationId: string, ops: TrackingOp[]): Promise<void>;
  /** Pending ops, in order; of one evaluation or of all. */
  pendingTrackingOps(evaluationId?: string): Promise<StoredTrackingOp[]>;
  completeTrackingOps(seqs: number[]): Promise<void>;
  countPendingTrackingOps(): Promise<number>;

  health(): Promise<{ ok: boolean; detail?: string }>;
  close(): Promise<void>;

  /** Work ownership by lease, on stores that several hub replicas share (PostgreSQL); absent otherwise. */
  readonly leases?: EvaluationLeases;
  /** Messages between the replicas sharing this store; absent on single-process stores. */
  readonly events?: ReplicaEvents;
  /**
   * Bounded tails of the benchmarks' execution logs, on stores whose replicas do not share a disk:
   * any replica then answers for a log another one wrote. Absent where the log files are enough.
   */
  readonly logTails?: LogTails;
}

/**
 * The tail of one benchmark attempt's log as one replica wrote it: a segment. An attempt run again
 * elsewhere (a take-over, a rolling restart) is a new segment of the same attempt.
 */
export interface LogTail {
  evaluationId: string;
  benchmarkIndex: number;
  attempt: number;
  /** Unique per writer and run of an attempt; a later put of one segment replaces its lines. */
  segment: string;
  /** Its last lines, oldest first (bounded by the writer); a U+0000 in a line is stored as U+FFFD. */
  lines: string[];
}

export interface LogTails {
  /** Stores or replaces the segment; a no-op when the evaluation no longer exists. */
  put(tail: LogTail): Promise<void>;
  /** The evaluation's segments, by benchmark index, then in the order they were first put. */
  list(evaluationId: string): Promise<LogTail[]>;
}

/** One hub replica's ownership of one evaluation, for a limited time. */
export interface EvaluationLease {
  evaluationId: string;
  /** The replica holding it: any id unique among the replicas (e.g. pod name and process id). */
  owner: string;
  /**
   * Fencing token: grows on every claim of this evaluation. Every leased write carries it and is
   * rejected with LeaseLostError once it is not the evaluation's current token or the lease expired.
   */
  token: number;
  /** When the lease ends unless renewed (the database's clock). */
  expiresAt: Date;
}

export interface ClaimOptions {
  /** Lease length; renew well before it ends (e.g. every third of it). */
  leaseMs: number;
  /** Claim at most this many evaluations. */
  limit: number;
  /** Only these evaluations (e.g. the one this replica just created); default: any that needs work. */
  ids?: string[];
  /**
   * With `ids`: claim them even while another replica holds them (a cancel received by a replica
   * that does not run the evaluation). The holder's lease ends at once: its next renew or write gets
   * LeaseLostError. Waits for a leased write in flight instead of skipping the row.
   */
  takeOver?: boolean;
}

/**
 * Leases for several replicas on one store. An evaluation needs work while it is pending or running,
 * or while it has tracking ops in the outbox. `claim` takes such evaluations that nobody holds or
 * whose lease expired, atomically (two replicas never get the same one; rows another replica is
 * claiming at that moment are skipped, not waited for), oldest first. The owner then writes the
 * evaluation and drains its outbox only through the methods below, each checked against the token
 * in the same statement; LeaseLostError means stop: another replica resumes the work.
 */
export interface EvaluationLeases {
  claim(owner: string, options: ClaimOptions): Promise<EvaluationLease[]>;
  /** Extends a held lease; LeaseLostError when it expired or was claimed by another replica. */
  renew(lease: EvaluationLease, leaseMs: number): Promise<EvaluationLease>;
  /** Gives the evaluation up (finished, or this replica stops); a no-op for a lease already lost. */
  release(lease: EvaluationLease): Promise<void>;
  /** The evaluation's live lease, if any. */
  current(evaluationId: string): Promise<EvaluationLease | undefined>;
  saveEvaluation(lease: EvaluationLease, evaluation: Evaluation): Promise<void>;
  appendTrackingOps(lease: EvaluationLease, ops: TrackingOp[]): Promise<void>;
  completeTrackingOps(lease: EvaluationLease, seqs: number[]): Promise<void>;
}

/** A message between replicas, e.g. an evaluation's progress or a cancellation request. */
export interface ReplicaEvent {
  topic: string;
  payload: unknown;
  /** The publishing replica's id. */
  origin: string;
}

/** Publish/subscribe between the replicas sharing a store; delivery is at least once, in order per publisher. */
export interface ReplicaEvents {
  /** This replica's id, stamped on what it publishes. */
  readonly origin: string;
  publish(topic: string, payload: unknown): Promise<void>;
  /** Events of other replicas (and this one's with `includeOwn`); returns the unsubscribe function. */
  subscribe(listener: (event: ReplicaEvent) => void, options?: { includeOwn?: boolean }): () => void;
}

export const StoreToken: InjectionToken<EvaluationStore> = Symbol.for('evalhub.store');
