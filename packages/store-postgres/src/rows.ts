import type { Evaluation, TrackingOp } from '@evalhub/core';
import type pg from 'pg';

/** The columns of one evaluation row, from the document. */
export function evaluationColumns(e: Evaluation): unknown[] {
  return [
    e.id,
    e.status,
    e.experiment?.name ?? null,
    e.model.name,
    [...new Set(e.benchmarks.map((b) => b.provider_id))],
    JSON.stringify(e.experiment?.tags ?? {}),
    JSON.stringify(e),
    e.created_at,
    e.updated_at,
  ];
}

/** Appends ops in order with one statement (ordinality keeps their order in seq). */
export async function appendOps(
  client: pg.PoolClient,
  evaluationId: string,
  ops: TrackingOp[],
): Promise<void> {
  if (ops.length === 0) return;
  await client.query(
    `INSERT INTO tracking_ops (evaluation_id, op)
     SELECT $1, o.op::json FROM unnest($2::text[]) WITH ORDINALITY AS o(op, n) ORDER BY o.n`,
    [evaluationId, ops.map((o) => JSON.stringify(o))],
  );
}
