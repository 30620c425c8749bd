import type { Evaluation } from '../types.js';

/**
 * Coalesces the saves of one evaluation that wait for the same write: a save whose evaluation still
 * has a save waiting replaces the waiting document and shares its promise, so the newest state is
 * what gets written, once. Stores batch their writes with it.
 */
export class LatestSaves {
  private readonly waiting = new Map<string, { evaluation: Evaluation; committed: Promise<void> }>();

  /**
   * Saves `evaluation` through `enqueue`, unless a save of it is still waiting. `enqueue` queues the
   * write; the write calls `take()` for the document to write (the newest one saved by then).
   */
  save(evaluation: Evaluation, enqueue: (take: () => Evaluation) => Promise<void>): Promise<void> {
    const waiting = this.waiting.get(evaluation.id);
    if (waiting) {
      waiting.evaluation = evaluation;
      return waiting.committed;
    }
    const entry = { evaluation, committed: Promise.resolve() };
    this.waiting.set(evaluation.id, entry);
    entry.committed = enqueue(() => {
      if (this.waiting.get(evaluation.id) === entry) this.waiting.delete(evaluation.id);
      return entry.evaluation;
    });
    return entry.committed;
  }
}
