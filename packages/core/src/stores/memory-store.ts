import type {
  EvaluationPage,
  EvaluationQuery,
  EvaluationStore,
  StoredTrackingOp,
  TrackingOp,
} from '../extension-points/store.js';
import type { Collection, Evaluation } from '../types.js';
import { decodeCursor, encodeCursor, matchesQuery } from './query.js';

const clone = <T>(v: T): T => structuredClone(v);

/** Keeps everything in process memory: for tests, demos and library use without persistence. */
export class MemoryStore implements EvaluationStore {
  readonly name = 'memory';
  private readonly evaluations = new Map<string, { ordinal: number; evaluation: Evaluation }>();
  private readonly idempotency = new Map<string, string>();
  private readonly collections = new Map<string, Collection>();
  private ops: StoredTrackingOp[] = [];
  private ordinal = 0;
  private opSeq = 0;

  async createEvaluation(
    evaluation: Evaluation,
    idempotencyKey?: string,
  ): Promise<{ evaluation: Evaluation; created: boolean }> {
    if (idempotencyKey !== undefined) {
      const existing = this.idempotency.get(idempotencyKey);
      if (existing) return { evaluation: clone(this.evaluations.get(existing)!.evaluation), created: false };
      this.idempotency.set(idempotencyKey, evaluation.id);
    }
    this.evaluations.set(evaluation.id, { ordinal: ++this.ordinal, evaluation: clone(evaluation) });
    return { evaluation: clone(evaluation), created: true };
  }

  async getEvaluation(id: string): Promise<Evaluation | undefined> {
    const row = this.evaluations.get(id);
    return row ? clone(row.evaluation) : undefined;
  }

  async saveEvaluation(evaluation: Evaluation): Promise<void> {
    const row = this.evaluations.get(evaluation.id);
    if (row) row.evaluation = clone(evaluation);
    else this.evaluations.set(evaluation.id, { ordinal: ++this.ordinal, evaluation: clone(evaluation) });
  }

  async deleteEvaluation(id: string): Promise<boolean> {
    if (!this.evaluations.delete(id)) return false;
    for (const [key, target] of this.idempotency) if (target === id) this.idempotency.delete(key);
    this.ops = this.ops.filter((o) => o.evaluationId !== id);
    return true;
  }

  async listEvaluations(query: EvaluationQuery): Promise<EvaluationPage> {
    const all = [...this.evaluations.values()]
      .filter((r) => matchesQuery(r.evaluation, query))
      .sort((a, b) => b.ordinal - a.ordinal);
    let start = 0;
    if (query.cursor !== undefined) {
      const before = decodeCursor(query.cursor);
      start = all.findIndex((r) => r.ordinal < before);
      if (start < 0) start = all.length;
    } else if (query.offset !== undefined) start = query.offset;
    const page = all.slice(start, start + query.limit);
    const last = page.at(-1);
    const hasMore = start + query.limit < all.length;
    return {
      items: page.map((r) => clone(r.evaluation)),
      total: all.length,
      ...(hasMore && last ? { next_cursor: encodeCursor(last.ordinal) } : {}),
    };
  }

  async listUnfinished(): Promise<Evaluation[]> {
    return [...this.evaluations.values()]
      .filter((r) => r.evaluation.status === 'pending' || r.evaluation.status === 'running')
      .sort((a, b) => a.ordinal - b.ordinal)
      .map((r) => clone(r.evaluation));
  }

  async listCollections(): Promise<Collection[]> {
    return [...this.collections.values()].map(clone);
  }
  async getCollection(id: string): Promise<Collection | undefined> {
    const c = this.collections.get(id);
    return c ? clone(c) : undefined;
  }
  async createCollection(collection: Collection): Promise<boolean> {
    if (this.collections.has(collection.id)) return false;
    this.collections.set(collection.id, clone(collection));
    return true;
  }
  async putCollection(collection: Collection): Promise<void> {
    this.collections.set(collection.id, clone(collection));
  }
  async deleteCollection(id: string): Promise<boolean> {
    return this.collections.delete(id);
  }

  async appendTrackingOps(evaluationId: string, ops: TrackingOp[]): Promise<void> {
    for (const op of ops) this.ops.push({ seq: ++this.opSeq, evaluationId, op: clone(op) });
  }
  async pendingTrackingOps(evaluationId?: string): Promise<StoredTrackingOp[]> {
    return this.ops.filter((o) => evaluationId === undefined || o.evaluationId === evaluationId).map(clone);
  }
  async completeTrackingOps(seqs: number[]): Promise<void> {
    const done = new Set(seqs);
    this.ops = this.ops.filter((o) => !done.has(o.seq));
  }
  async countPendingTrackingOps(): Promise<number> {
    return this.ops.length;
  }

  async health(): Promise<{ ok: boolean; detail?: string }> {
    return { ok: true, detail: `${this.evaluations.size} evaluations in memory` };
  }
  async close(): Promise<void> {}
}
