import {
  ConflictError,
  LatestSaves,
  encodeCursor,
  type Collection,
  type Evaluation,
  type EvaluationPage,
  type EvaluationQuery,
  type EvaluationStore,
  type Logger,
  type StoredTrackingOp,
  type TrackingOp,
} from '@evalhub/core';
import type pg from 'pg';
import { Database } from './database.js';
import { GroupCommit } from './group-commit.js';
import { PostgresLeases } from './leases.js';
import { buildListSql } from './list-query.js';
import { PostgresLogTails } from './log-tails.js';
import { appendOps, evaluationColumns } from './rows.js';
import { storableText } from './text.js';
import { migrate, type MigrationResult } from './migrator.js';
import { resolveOptions, type PostgresStoreOptions, type ResolvedPostgresOptions } from './options.js';
import { PostgresReplicaEvents } from './replica-events.js';

export interface PostgresStoreInit {
  options: PostgresStoreOptions;
  /** Relative file options (password file, certificates) resolve from here. Default: cwd. */
  baseDir?: string;
  /** This replica's id, stamped on the events it publishes. Default: a random one. */
  replicaId?: string;
  logger?: Logger;
}

/** health() answers within this time. */
const HEALTH_TIMEOUT_MS = 3_000;

const INSERT = `INSERT INTO evaluations (id, status, experiment, model, providers, tags, doc, created_at, updated_at, idempotency_key)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`;

/** The document of a row read as `doc::text` (parsed here: pg would parse json columns itself). */
const parse = <T>(text: string): T => JSON.parse(text) as T;

/**
 * The EvaluationStore on PostgreSQL, for one hub or several replicas sharing a database: the same
 * semantics as the SQLite store (idempotency keys, newest-first keyset pagination, filters, the
 * tracking outbox in order), plus work ownership by lease (`leases`), messages between replicas
 * (`events`) and the benchmarks' log tails (`logTails`). Create it with `PostgresStore.open()`, which applies the migrations.
 */
export class PostgresStore implements EvaluationStore {
  readonly name = 'postgres';
  readonly leases: PostgresLeases;
  readonly events: PostgresReplicaEvents;
  readonly logTails: PostgresLogTails;
  private readonly writes: GroupCommit;
  /** Saves queued and not yet started, by evaluation id: a later save joins the first. */
  private readonly saves = new LatestSaves();

  private constructor(
    readonly db: Database,
    readonly resolved: ResolvedPostgresOptions,
    readonly migration: MigrationResult,
    replicaId: string | undefined,
  ) {
    this.writes = new GroupCommit(db);
    this.leases = new PostgresLeases(db, this.writes);
    this.logTails = new PostgresLogTails(db, this.writes);
    this.events = new PostgresReplicaEvents(db, {
      pollMs: resolved.eventsPollMs,
      retentionMs: resolved.eventsRetentionMs,
      listen: resolved.eventsListen,
      schema: resolved.schema,
      ...(replicaId ? { origin: replicaId } : {}),
    });
  }

  /** Connects, applies pending migrations (under an advisory lock) and returns the store. */
  static async open(init: PostgresStoreInit): Promise<PostgresStore> {
    const resolved = resolveOptions(init.options, init.baseDir ?? process.cwd());
    const db = new Database({
      pool: resolved.pool,
      retryWindowMs: resolved.retryWindowMs,
      target: resolved.target,
      ...(init.logger ? { logger: init.logger } : {}),
    });
    try {
      const migration = await migrate(db, resolved.schema);
      init.logger?.info(
        { database: resolved.target, schemaVersion: migration.version, applied: migration.applied },
        'PostgreSQL store ready',
      );
      return new PostgresStore(db, resolved, migration, init.replicaId);
    } catch (err) {
      await db.close();
      throw err;
    }
  }

  createEvaluation(
    evaluation: Evaluation,
    idempotencyKey?: string,
  ): Promise<{ evaluation: Evaluation; created: boolean }> {
    return this.writes.run(
      async (client, attempt) => {
        // One statement: a conflict on the id or on the idempotency key inserts nothing.
        const inserted = await client.query(`${INSERT} ON CONFLICT DO NOTHING RETURNING ordinal`, [
          ...evaluationColumns(evaluation),
          idempotencyKey ?? null,
        ]);
        if (inserted.rowCount === 1) return { evaluation, created: true };
        if (idempotencyKey !== undefined) {
          const existing = await byKey(client, idempotencyKey);
          if (existing) return { evaluation: existing, created: false };
        }
        const { rows } = await client.query<{ doc: string }>(
          'SELECT doc::text AS doc FROM evaluations WHERE id = $1',
          [evaluation.id],
        );
        // A retry after a commit whose answer was lost with the connection: it is ours.
        if (attempt > 0 && rows[0] && parse<Evaluation>(rows[0].doc).created_at === evaluation.created_at)
          return { evaluation, created: true };
        throw new ConflictError(
          'evaluation_exists',
          `An evaluation with id '${evaluation.id}' already exists.`,
        );
      },
      { singleStatement: true },
    );
  }

  async getEvaluation(id: string): Promise<Evaluation | undefined> {
    if (!storableText(id)) return undefined;
    const { rows } = await this.db.query<{ doc: string }>(
      'SELECT doc::text AS doc FROM evaluations WHERE id = $1',
      [id],
    );
    return rows[0] ? parse<Evaluation>(rows[0].doc) : undefined;
  }

  saveEvaluation(evaluation: Evaluation): Promise<void> {
    // Serialised when the batch runs, so the newest state is what gets written.
    return this.saves.save(evaluation, (take) =>
      this.writes.run(
        async (client) => {
          await client.query(
            `${INSERT} ON CONFLICT (id) DO UPDATE SET status = excluded.status, experiment = excluded.experiment,
           model = excluded.model, providers = excluded.providers, tags = excluded.tags, doc = excluded.doc,
           updated_at = excluded.updated_at`,
            [...evaluationColumns(take()), null],
          );
        },
        { singleStatement: true },
      ),
    );
  }

  /** Removes the evaluation with its idempotency key (its row), tracking ops and log tails (cascade). */
  deleteEvaluation(id: string): Promise<boolean> {
    if (!storableText(id)) return Promise.resolve(false);
    return this.writes.run(async (client) => {
      await client.query('DELETE FROM tracking_ops WHERE evaluation_id = $1', [id]);
      return ((await client.query('DELETE FROM evaluations WHERE id = $1', [id])).rowCount ?? 0) > 0;
    });
  }

  async listEvaluations(q: EvaluationQuery): Promise<EvaluationPage> {
    const sql = buildListSql(q);
    if (!sql) return { items: [], total: 0 };
    const [count, page] = await Promise.all([
      this.db.query<{ n: number }>(sql.count.text, sql.count.values),
      this.db.query<{ ordinal: string; doc: string }>(
        sql.page.text.replace('SELECT ordinal, doc ', 'SELECT ordinal, doc::text AS doc '),
        sql.page.values,
      ),
    ]);
    const hasMore = page.rows.length > q.limit;
    const rows = page.rows.slice(0, q.limit);
    return {
      items: rows.map((r) => parse<Evaluation>(r.doc)),
      total: count.rows[0]!.n,
      ...(hasMore ? { next_cursor: encodeCursor(Number(rows.at(-1)!.ordinal)) } : {}),
    };
  }

  async listUnfinished(): Promise<Evaluation[]> {
    const { rows } = await this.db.query<{ doc: string }>(
      `SELECT doc::text AS doc FROM evaluations WHERE status IN ('pending', 'running') ORDER BY ordinal`,
    );
    return rows.map((r) => parse<Evaluation>(r.doc));
  }

  async listCollections(): Promise<Collection[]> {
    const { rows } = await this.db.query<{ doc: string }>(
      'SELECT doc::text AS doc FROM collections ORDER BY id',
    );
    return rows.map((r) => parse<Collection>(r.doc));
  }
  async getCollection(id: string): Promise<Collection | undefined> {
    if (!storableText(id)) return undefined;
    const { rows } = await this.db.query<{ doc: string }>(
      'SELECT doc::text AS doc FROM collections WHERE id = $1',
      [id],
    );
    return rows[0] ? parse<Collection>(rows[0].doc) : undefined;
  }
  createCollection(collection: Collection): Promise<boolean> {
    return this.writes.run(
      async (client) =>
        ((
          await client.query(
            'INSERT INTO collections (id, doc) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING',
            [collection.id, JSON.stringify(collection)],
          )
        ).rowCount ?? 0) > 0,
      { singleStatement: true },
    );
  }
  putCollection(collection: Collection): Promise<void> {
    return this.writes.run(
      async (client) => {
        await client.query(
          'INSERT INTO collections (id, doc) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc',
          [collection.id, JSON.stringify(collection)],
        );
      },
      { singleStatement: true },
    );
  }
  deleteCollection(id: string): Promise<boolean> {
    if (!storableText(id)) return Promise.resolve(false);
    return this.writes.run(
      async (client) =>
        ((await client.query('DELETE FROM collections WHERE id = $1', [id])).rowCount ?? 0) > 0,
    );
  }

  appendTrackingOps(evaluationId: string, ops: TrackingOp[]): Promise<void> {
    return this.writes.run((client) => appendOps(client, evaluationId, ops), { singleStatement: true });
  }
  async pendingTrackingOps(evaluationId?: string): Promise<StoredTrackingOp[]> {
    if (evaluationId !== undefined && !storableText(evaluationId)) return [];
    const { rows } =
      evaluationId === undefined
        ? await this.db.query<OpRow>(
            'SELECT seq, evaluation_id, op::text AS op FROM tracking_ops ORDER BY seq',
          )
        : await this.db.query<OpRow>(
            'SELECT seq, evaluation_id, op::text AS op FROM tracking_ops WHERE evaluation_id = $1 ORDER BY seq',
            [evaluationId],
          );
    return rows.map(toStoredOp);
  }
  completeTrackingOps(seqs: number[]): Promise<void> {
    if (seqs.length === 0) return Promise.resolve();
    return this.writes.run(
      async (client) => {
        await client.query('DELETE FROM tracking_ops WHERE seq = ANY($1::bigint[])', [seqs]);
      },
      { singleStatement: true },
    );
  }
  async countPendingTrackingOps(): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM tracking_ops');
    return rows[0]!.n;
  }

  /** Reachability of the database (one round trip, no retry), the schema version and the pool. */
  async health(): Promise<{ ok: boolean; detail?: string }> {
    const pool = this.db.stats();
    const poolText = `pool ${pool.total} open, ${pool.idle} idle, ${pool.waiting} waiting`;
    try {
      // A readiness probe must answer in time even when the database host does not.
      await this.db.probe(HEALTH_TIMEOUT_MS);
      return { ok: true, detail: `${this.resolved.target}, schema v${this.migration.version}, ${poolText}` };
    } catch (err) {
      return {
        ok: false,
        detail: `${this.resolved.target} unreachable: ${(err as Error).message}; ${poolText}`,
      };
    }
  }

  async close(): Promise<void> {
    await this.writes.flush();
    await this.events.close();
    await this.db.close();
  }
}

interface OpRow {
  seq: string;
  evaluation_id: string;
  op: string;
}

function toStoredOp(r: OpRow): StoredTrackingOp {
  return { seq: Number(r.seq), evaluationId: r.evaluation_id, op: parse<TrackingOp>(r.op) };
}

async function byKey(client: pg.PoolClient, key: string): Promise<Evaluation | undefined> {
  const { rows } = await client.query<{ doc: string }>(
    'SELECT doc::text AS doc FROM evaluations WHERE idempotency_key = $1',
    [key],
  );
  return rows[0] ? parse<Evaluation>(rows[0].doc) : undefined;
}
