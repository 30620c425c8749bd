import { ValidationError } from '../errors.js';
import type { Evaluation } from '../types.js';
import type { EvaluationQuery } from '../extension-points/store.js';

/** Cursor = base64url of the last item's ordinal; opaque to clients. */
export function encodeCursor(ordinal: number): string {
  return Buffer.from(`o:${ordinal}`).toString('base64url');
}

export function decodeCursor(cursor: string): number {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const m = /^o:(\d+)$/.exec(text);
  if (!m) {
    throw new ValidationError(
      'The cursor is not valid: pass the next_cursor value of a previous page unchanged.',
      [{ pointer: '/cursor', message: 'Not a cursor this hub issued.' }],
    );
  }
  return Number(m[1]);
}

/** The filter part of a query, evaluated in memory (memory store; reference semantics for others). */
export function matchesQuery(e: Evaluation, q: EvaluationQuery): boolean {
  if (q.status && e.status !== q.status) return false;
  if (q.experiment && e.experiment?.name !== q.experiment) return false;
  if (q.model && e.model.name !== q.model) return false;
  if (q.provider && !e.benchmarks.some((b) => b.provider_id === q.provider)) return false;
  if (q.tags) {
    for (const [k, v] of Object.entries(q.tags)) {
      const tags = e.experiment?.tags ?? {};
      if (!Object.hasOwn(tags, k) || tags[k] !== v) return false;
    }
  }
  return true;
}
