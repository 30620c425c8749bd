import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type {
  EvaluationPage,
  EvaluationQuery,
  EvaluationStore,
  StoredTrackingOp,
  TrackingOp,
} from '../extension-points/store.js';
import type { Collection, Evaluation } from '../types.js';
import { GroupCommit } from './group-commit.js';
import { LatestSaves } from './latest-saves.js';
import { decodeCursor, encodeCursor } from './query.js';
import { MIGRATIONS, SCHEMA_VERSION } from './sqlite-schema.js';
import { WalCheckpointer, type CheckpointResult } from './wal-checkpointer.js';

export interface SqliteStoreOptions {
  /** Database file; created with its folder. `:memory:` for a throwaway database. */
  path: string;
  /**
   * Copy the WAL into the database file from a worker thread (default) rather than inside whichever
   * commit crosses SQLite's automatic checkpoint threshold (see WalCheckpointer).
   */
  backgroundCheckpoints?: boolean;
}

interface EvalRow {
  ordinal: number;
  doc: string;
}

/**
 * The default store: one SQLite file (WAL mode). Evaluations are stored as JSON documents with the
 * filterable fields in indexed columns; the tracking outbox is a table, so it survives restarts.
 * Writes are group-committed (see GroupCommit): a write's promise resolves once it is committed.
 */
export class SqliteStore implements EvaluationStore {
  readonly name = 'sqlite';
  private readonly db: Database.Database;
  private readonly stmts;
  private readonly writes: GroupCommit;
  /** Saves not yet committed, by evaluation id: a later save of the same evaluation joins the first. */
  private readonly saves = new LatestSaves();
  /** List queries prepared once per shape (which filters are set), not per request. */
  private readonly listStatements = new Map<string, Database.Statement>();
  private readonly checkpointer: WalCheckpointer | undefined;

  constructor(readonly options: SqliteStoreOptions) {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.db = new Database(options.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('foreign_keys = ON');
    this.migrate();
    this.writes = new GroupCommit(this.db);
    if (options.path !== ':memory:' && options.backgroundCheckpoints !== false) {
      this.db.pragma('wal_autocheckpoint = 0');
      // A WAL that grew under a burst is cut back to this size once checkpointed.
      this.db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
      this.checkpointer = new WalCheckpointer(options.path, {
        // Without its worker the store checkpoints the way SQLite does by default.
        onFailure: () => {
          if (this.db.open) this.db.pragma('wal_autocheckpoint = 1000');
        },
      });
    }
    const db = this.db;
    this.stmts = {
      insert: db.prepare(
        `INSERT INTO evaluations (id, status, experiment, model, providers, idempotency_key, doc, created_at, updated_at)
         VALUES (@id, @status, @experiment, @model, @providers, @idempotency_key, @doc, @created_at, @updated_at)`,
      ),
      byKey: db.prepare<[string], EvalRow>('SELECT ordinal, doc FROM evaluations WHERE idempotency_key = ?'),
      get: db.prepare<[string], EvalRow>('SELECT ordinal, doc FROM evaluations WHERE id = ?'),
      update: db.prepare(
        `UPDATE evaluations SET status = @status, experiment = @experiment, model = @model, providers = @providers,
         doc = @doc, updated_at = @updated_at WHERE id = @id`,
      ),
      deleteEvaluation: db.prepare('DELETE FROM evaluations WHERE id = ?'),
      deleteOpsOf: db.prepare('DELETE FROM tracking_ops WHERE evaluation_id = ?'),
      unfinished: db.prepare<[], EvalRow>(
        `SELECT ordinal, doc FROM evaluations WHERE status IN ('pending', 'running') ORDER BY ordinal`,
      ),
      collections: db.prepare<[], { doc: string }>('SELECT doc FROM collections ORDER BY id'),
      collection: db.prepare<[string], { doc: string }>('SELECT doc FROM collections WHERE id = ?'),
      createCollection: db.prepare(
        'INSERT INTO collections (id, doc) VALUES (?, ?) ON CONFLICT(id) DO NOTHING',
      ),
      putCollection: db.prepare(
        'INSERT INTO collections (id, doc) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET doc = excluded.doc',
      ),
      deleteCollection: db.prepare('DELETE FROM collections WHERE id = ?'),
      appendOp: db.prepare('INSERT INTO tracking_ops (evaluation_id, op) VALUES (?, ?)'),
      opsOf: db.prepare<[string], { seq: number; evaluation_id: string; op: string }>(
        'SELECT seq, evaluation_id, op FROM tracking_ops WHERE evaluation_id = ? ORDER BY seq',
      ),
      allOps: db.prepare<[], { seq: number; evaluation_id: string; op: string }>(
        'SELECT seq, evaluation_id, op FROM tracking_ops ORDER BY seq',
      ),
      deleteOp: db.prepare('DELETE FROM tracking_ops WHERE seq = ?'),
      countOps: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM tracking_ops'),
    };
  }

  private migrate(): void {
    const current = this.db.pragma('user_version', { simple: true }) as number;
    for (let v = current + 1; v <= SCHEMA_VERSION; v++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[v]!);
        this.db.pragma(`user_version = ${v}`);
      })();
    }
  }

  private row(e: Evaluation, idempotencyKey?: string): Record<string, unknown> {
    return {
      id: e.id,
      status: e.status,
      experiment: e.experiment?.name ?? null,
      model: e.model.name,
      providers: `,${[...new Set(e.benchmarks.map((b) => b.provider_id))].join(',')},`,
      idempotency_key: idempotencyKey ?? null,
      doc: JSON.stringify(e),
      created_at: e.created_at,
      updated_at: e.updated_at,
    };
  }

  async createEvaluation(
    evaluation: Evaluation,
    idempotencyKey?: string,
  ): Promise<{ evaluation: Evaluation; created: boolean }> {
    return this.writes.run(() => {
      if (idempotencyKey !== undefined) {
        const existing = this.stmts.byKey.get(idempotencyKey);
        if (existing) return { evaluation: JSON.parse(existing.doc) as Evaluation, created: false };
      }
      this.stmts.insert.run(this.row(evaluation, idempotencyKey));
      return { evaluation, created: true };
    });
  }

  async getEvaluation(id: string): Promise<Evaluation | undefined> {
    const row = this.stmts.get.get(id);
    return row ? (JSON.parse(row.doc) as Evaluation) : undefined;
  }

  async deleteEvaluation(id: string): Promise<boolean> {
    return this.writes.run(() => {
      this.stmts.deleteOpsOf.run(id);
      return this.stmts.deleteEvaluation.run(id).changes > 0;
    });
  }

  saveEvaluation(evaluation: Evaluation): Promise<void> {
    // Serialised when the batch commits, so the newest state is what gets written.
    return this.saves.save(evaluation, (take) =>
      this.writes.run(() => {
        const row = this.row(take());
        if (this.stmts.update.run(row).changes === 0) this.stmts.insert.run(row);
      }),
    );
  }

  async listEvaluations(q: EvaluationQuery): Promise<EvaluationPage> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.status) {
      where.push('status = ?');
      params.push(q.status);
    }
    if (q.experiment) {
      where.push('experiment = ?');
      params.push(q.experiment);
    }
    if (q.model) {
      where.push('model = ?');
      params.push(q.model);
    }
    if (q.provider) {
      where.push("providers LIKE ? ESCAPE '\\'");
      params.push(`%,${q.provider.replace(/[\\%_]/g, '\\$&')},%`);
    }
    // Keys compared as values, not spelled into a JSON path: a path cannot hold every key (U+0000,
    // backslashes), and a key's characters are then never syntax.
    for (const [k, v] of Object.entries(q.tags ?? {})) {
      where.push(
        "EXISTS (SELECT 1 FROM json_each(doc, '$.experiment.tags') AS t WHERE t.key = ? AND t.type = 'text' AND t.value = ?)",
      );
      params.push(k, v);
    }
    const filter = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = (
      this.statement(`SELECT count(*) AS n FROM evaluations ${filter}`).get(...params) as { n: number }
    ).n;
    const pageWhere = [...where];
    const pageParams = [...params];
    if (q.cursor !== undefined) {
      pageWhere.push('ordinal < ?');
      pageParams.push(decodeCursor(q.cursor));
    }
    const sql = `SELECT ordinal, doc FROM evaluations ${pageWhere.length ? `WHERE ${pageWhere.join(' AND ')}` : ''}
      ORDER BY ordinal DESC LIMIT ? OFFSET ?`;
    const rows = this.statement(sql).all(
      ...pageParams,
      q.limit + 1,
      q.cursor === undefined ? (q.offset ?? 0) : 0,
    ) as EvalRow[];
    const hasMore = rows.length > q.limit;
    const page = rows.slice(0, q.limit);
    return {
      items: page.map((r) => JSON.parse(r.doc) as Evaluation),
      total,
      ...(hasMore ? { next_cursor: encodeCursor(page.at(-1)!.ordinal) } : {}),
    };
  }

  private statement(sql: string): Database.Statement {
    let stmt = this.listStatements.get(sql);
    if (!stmt) {
      // Tag filters make the shapes open-ended; a full cache simply starts again.
      if (this.listStatements.size >= 256) this.listStatements.clear();
      stmt = this.db.prepare(sql);
      this.listStatements.set(sql, stmt);
    }
    return stmt;
  }

  async listUnfinished(): Promise<Evaluation[]> {
    return this.stmts.unfinished.all().map((r) => JSON.parse(r.doc) as Evaluation);
  }

  async listCollections(): Promise<Collection[]> {
    return this.stmts.collections.all().map((r) => JSON.parse(r.doc) as Collection);
  }
  async getCollection(id: string): Promise<Collection | undefined> {
    const r = this.stmts.collection.get(id);
    return r ? (JSON.parse(r.doc) as Collection) : undefined;
  }
  createCollection(collection: Collection): Promise<boolean> {
    return this.writes.run(
      () => this.stmts.createCollection.run(collection.id, JSON.stringify(collection)).changes > 0,
    );
  }
  putCollection(collection: Collection): Promise<void> {
    return this.writes.run(() => {
      this.stmts.putCollection.run(collection.id, JSON.stringify(collection));
    });
  }
  deleteCollection(id: string): Promise<boolean> {
    return this.writes.run(() => this.stmts.deleteCollection.run(id).changes > 0);
  }

  appendTrackingOps(evaluationId: string, ops: TrackingOp[]): Promise<void> {
    return this.writes.run(() => {
      for (const op of ops) this.stmts.appendOp.run(evaluationId, JSON.stringify(op));
    });
  }
  async pendingTrackingOps(evaluationId?: string): Promise<StoredTrackingOp[]> {
    const rows = evaluationId === undefined ? this.stmts.allOps.all() : this.stmts.opsOf.all(evaluationId);
    return rows.map((r) => ({
      seq: r.seq,
      evaluationId: r.evaluation_id,
      op: JSON.parse(r.op) as TrackingOp,
    }));
  }
  completeTrackingOps(seqs: number[]): Promise<void> {
    return this.writes.run(() => {
      for (const s of seqs) this.stmts.deleteOp.run(s);
    });
  }
  async countPendingTrackingOps(): Promise<number> {
    return this.stmts.countOps.get()!.n;
  }

  async health(): Promise<{ ok: boolean; detail?: string }> {
    try {
      this.db.prepare('SELECT 1').get();
      return { ok: true, detail: this.options.path };
    } catch (err) {
      return { ok: false, detail: (err as Error).message };
    }
  }

  /** Copies the WAL into the database file now (tests and tools; it also happens by itself). */
  async checkpoint(): Promise<CheckpointResult> {
    if (this.checkpointer) return this.checkpointer.checkpoint();
    const [row] = this.db.pragma('wal_checkpoint(PASSIVE)') as CheckpointResult[];
    return { log: row!.log, checkpointed: row!.checkpointed };
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    this.writes.flush();
    await this.checkpointer?.close();
    this.db.close();
  }
}
