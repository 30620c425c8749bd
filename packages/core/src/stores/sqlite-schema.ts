/**
 * The SQLite store's schema: migration `v` takes a database from `user_version` v-1 to v, and
 * SqliteStore applies the missing ones in order when it opens a file.
 */
export const SCHEMA_VERSION = 1;

export const MIGRATIONS: Record<number, string> = {
  1: `
    CREATE TABLE evaluations (
      ordinal INTEGER PRIMARY KEY AUTOINCREMENT,
      id TEXT NOT NULL UNIQUE,
      status TEXT NOT NULL,
      experiment TEXT,
      model TEXT NOT NULL,
      providers TEXT NOT NULL,
      idempotency_key TEXT UNIQUE,
      doc TEXT NOT NULL,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL
    );
    CREATE INDEX evaluations_status ON evaluations(status, ordinal);
    CREATE INDEX evaluations_experiment ON evaluations(experiment, ordinal);
    CREATE INDEX evaluations_model ON evaluations(model, ordinal);
    CREATE TABLE collections (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
    CREATE TABLE tracking_ops (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      evaluation_id TEXT NOT NULL,
      op TEXT NOT NULL
    );
    CREATE INDEX tracking_ops_evaluation ON tracking_ops(evaluation_id, seq);
  `,
};
