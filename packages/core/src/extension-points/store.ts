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
  putCollection(collection: Collection): Promise<void>;
  deleteCollection(id: string): Promise<boolean>;

  appendTrackingOps(evaluationId: string, ops: TrackingOp[]): Promise<void>;
  /** Pending ops, in order; of one evaluation or of all. */
  pendingTrackingOps(evaluationId?: string): Promise<StoredTrackingOp[]>;
  completeTrackingOps(seqs: number[]): Promise<void>;
  countPendingTrackingOps(): Promise<number>;

  health(): Promise<{ ok: boolean; detail?: string }>;
  close(): Promise<void>;
}

export const StoreToken: InjectionToken<EvaluationStore> = Symbol.for('evalhub.store');
