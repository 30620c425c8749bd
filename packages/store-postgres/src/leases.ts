import {
  LeaseLostError,
  ValidationError,
  type ClaimOptions,
  type Evaluation,
  type EvaluationLease,
  type EvaluationLeases,
  type TrackingOp,
} from '@evalhub/core';
import type pg from 'pg';
import type { Database } from './database.js';
import type { GroupCommit } from './group-commit.js';
import { appendOps, evaluationColumns } from './rows.js';
import { storableText } from './text.js';

interface LeaseRow {
  id: string;
  lease_owner: string;
  lease_token: string;
  lease_expires_at: Date;
}

const toLease = (r: LeaseRow): EvaluationLease => ({
  evaluationId: r.id,
  owner: r.lease_owner,
  token: Number(r.lease_token),
  expiresAt: r.lease_expires_at,
});

/** Evaluations that need an owner: unfinished, or with tracking ops still in the outbox. */
const NEEDS_WORK = `
  SELECT ordinal FROM evaluations WHERE status IN ('pending', 'running')
  UNION
  SELECT e.ordinal FROM evaluations e WHERE e.id IN (SELECT DISTINCT evaluation_id FROM tracking_ops)`;

/** Holds when `lease` is the evaluation's live lease; `$1` id, `$2` owner, `$3` token. */
const HELD = `id = $1 AND lease_owner = $2 AND lease_token = $3 AND lease_expires_at > clock_timestamp()`;

function checkLeaseMs(leaseMs: number): void {
  if (!Number.isInteger(leaseMs) || leaseMs < 100) {
    throw new ValidationError(`A lease must last at least 100 ms (got ${leaseMs}).`, [
      { pointer: '/leaseMs', message: 'an integer number of milliseconds, at least 100' },
    ]);
  }
}

/**
 * Leases on the evaluations table (see EvaluationLeases). Times come from the database's clock, so
 * replicas' clocks do not matter. Fencing is in the statements themselves: a leased update matches
 * only while the row still has the lease's owner and token and the lease has not ended, and ops are
 * written or completed while holding a share lock on the evaluation's row — a claim by another
 * replica (FOR UPDATE SKIP LOCKED) can never interleave with a write it would invalidate.
 */
export class PostgresLeases implements EvaluationLeases {
  constructor(
    private readonly db: Database,
    private readonly writes: GroupCommit,
  ) {}

  async claim(owner: string, options: ClaimOptions): Promise<EvaluationLease[]> {
    checkLeaseMs(options.leaseMs);
    if (options.limit < 1 || (options.ids && options.ids.length === 0)) return [];
    const values: unknown[] = [owner, options.leaseMs, options.limit];
    let only = '';
    if (options.ids) {
      values.push(options.ids);
      only = 'AND e.id = ANY($4::text[])';
    }
    // A take-over (ids only) ignores the holder and waits for its write in flight, if any.
    const takeOver = options.takeOver === true && options.ids !== undefined;
    const free = takeOver ? '' : 'AND (e.lease_owner IS NULL OR e.lease_expires_at <= clock_timestamp())';
    const { rows } = await this.db.query<LeaseRow>(
      `WITH picked AS (
         SELECT e.ordinal FROM evaluations e
         WHERE e.ordinal IN (${NEEDS_WORK})
           ${free} ${only}
         ORDER BY e.ordinal
         LIMIT $3
         FOR UPDATE ${takeOver ? '' : 'SKIP LOCKED'}
       )
       UPDATE evaluations e
       SET lease_owner = $1, lease_token = e.lease_token + 1,
           lease_expires_at = clock_timestamp() + $2 * interval '1 millisecond'
       FROM picked WHERE e.ordinal = picked.ordinal
       RETURNING e.id, e.lease_owner, e.lease_token, e.lease_expires_at`,
      values,
      // A claim whose answer was lost is not repeated: the leases it took expire unused.
      'connect-only',
    );
    return rows
      .map(toLease)
      .sort((a, b) => a.token - b.token || a.evaluationId.localeCompare(b.evaluationId));
  }

  async renew(lease: EvaluationLease, leaseMs: number): Promise<EvaluationLease> {
    checkLeaseMs(leaseMs);
    const { rows } = await this.db.query<LeaseRow>(
      `UPDATE evaluations SET lease_expires_at = clock_timestamp() + $4 * interval '1 millisecond'
       WHERE ${HELD}
       RETURNING id, lease_owner, lease_token, lease_expires_at`,
      [lease.evaluationId, lease.owner, lease.token, leaseMs],
    );
    if (!rows[0]) throw await this.lost(lease);
    return toLease(rows[0]);
  }

  async release(lease: EvaluationLease): Promise<void> {
    await this.db.query(
      `UPDATE evaluations SET lease_owner = NULL, lease_expires_at = NULL
       WHERE id = $1 AND lease_owner = $2 AND lease_token = $3`,
      [lease.evaluationId, lease.owner, lease.token],
    );
  }

  async current(evaluationId: string): Promise<EvaluationLease | undefined> {
    if (!storableText(evaluationId)) return undefined;
    const { rows } = await this.db.query<LeaseRow>(
      `SELECT id, lease_owner, lease_token, lease_expires_at FROM evaluations
       WHERE id = $1 AND lease_owner IS NOT NULL AND lease_expires_at > clock_timestamp()`,
      [evaluationId],
    );
    return rows[0] ? toLease(rows[0]) : undefined;
  }

  saveEvaluation(lease: EvaluationLease, evaluation: Evaluation): Promise<void> {
    if (evaluation.id !== lease.evaluationId) return Promise.reject(mismatch(lease, evaluation.id));
    return this.writes.run(async (client) => {
      const c = evaluationColumns(evaluation);
      const result = await client.query(
        `UPDATE evaluations SET status = $4, experiment = $5, model = $6, providers = $7, tags = $8, doc = $9,
           updated_at = $10
         WHERE ${HELD}`,
        [lease.evaluationId, lease.owner, lease.token, c[1], c[2], c[3], c[4], c[5], c[6], c[8]],
      );
      if (result.rowCount === 0) throw await this.lost(lease, client);
    });
  }

  appendTrackingOps(lease: EvaluationLease, ops: TrackingOp[]): Promise<void> {
    return this.writes.run(async (client) => {
      await this.hold(client, lease);
      await appendOps(client, lease.evaluationId, ops);
    });
  }

  completeTrackingOps(lease: EvaluationLease, seqs: number[]): Promise<void> {
    return this.writes.run(async (client) => {
      await this.hold(client, lease);
      await client.query('DELETE FROM tracking_ops WHERE evaluation_id = $1 AND seq = ANY($2::bigint[])', [
        lease.evaluationId,
        seqs,
      ]);
    });
  }

  /** Share-locks the evaluation's row while the lease is live (until the write's transaction ends). */
  private async hold(client: pg.PoolClient, lease: EvaluationLease): Promise<void> {
    const { rows } = await client.query(`SELECT 1 FROM evaluations WHERE ${HELD} FOR SHARE`, [
      lease.evaluationId,
      lease.owner,
      lease.token,
    ]);
    if (rows.length === 0) throw await this.lost(lease, client);
  }

  /** Why a lease no longer holds, for the error. */
  private async lost(lease: EvaluationLease, client?: pg.PoolClient): Promise<LeaseLostError> {
    const text = `SELECT lease_owner, lease_token, lease_expires_at <= clock_timestamp() AS expired
                  FROM evaluations WHERE id = $1`;
    const { rows } = client
      ? await client.query<{ lease_owner: string | null; lease_token: string; expired: boolean | null }>(
          text,
          [lease.evaluationId],
        )
      : await this.db.query<{ lease_owner: string | null; lease_token: string; expired: boolean | null }>(
          text,
          [lease.evaluationId],
        );
    const row = rows[0];
    let reason: string;
    if (!row) reason = 'the evaluation does not exist';
    else if (Number(row.lease_token) !== lease.token)
      reason = `it was claimed again (now token ${row.lease_token}${row.lease_owner ? ` by ${row.lease_owner}` : ''})`;
    else if (row.lease_owner === null) reason = 'it was released';
    else reason = 'the lease expired before it was renewed';
    return new LeaseLostError(lease.evaluationId, lease.token, reason);
  }
}

function mismatch(lease: EvaluationLease, id: string): ValidationError {
  return new ValidationError(`The lease is for evaluation '${lease.evaluationId}', not '${id}'.`, [
    { pointer: '/id', message: 'write an evaluation with the lease of that evaluation' },
  ]);
}
