import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '@evalhub/core';
import type { Database } from './database.js';

/** The package's `migrations/` folder (beside `src/` and `dist/`). */
export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'migrations');

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

/** `NNN_name.sql` files, in version order; a gap or a duplicate version is a packaging bug. */
export function readMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const out: Migration[] = [];
  for (const file of readdirSync(dir).sort()) {
    const m = /^(\d+)_([a-z0-9_]+)\.sql$/.exec(file);
    if (!m) continue;
    const sql = readFileSync(join(dir, file), 'utf8');
    out.push({
      version: Number(m[1]),
      name: m[2]!,
      sql,
      checksum: createHash('sha256').update(sql).digest('hex'),
    });
  }
  out.forEach((mig, i) => {
    if (mig.version !== i + 1)
      throw new Error(`Migration ${mig.version}_${mig.name}: expected version ${i + 1}.`);
  });
  return out;
}

/** Advisory lock key of one schema's migrations (64-bit, from the schema name). */
export function migrationLockKey(schema: string): bigint {
  return createHash('sha256').update(`evalhub.migrations.${schema}`).digest().readBigInt64BE(0);
}

export interface MigrationResult {
  /** Versions applied by this call (empty when another replica had applied them). */
  applied: number[];
  version: number;
}

/**
 * Brings the schema to the newest version. Holds a session advisory lock while it works, so
 * replicas starting together apply each migration once: the others wait, then find nothing to do.
 * Each migration runs in its own transaction with its row in `schema_migrations`. A database whose
 * schema is newer than this package, or whose applied migration differs from the file, is refused.
 */
export async function migrate(
  db: Database,
  schema: string,
  migrations = readMigrations(),
): Promise<MigrationResult> {
  const ident = `"${schema}"`;
  return db.withClient(async (client) => {
    await client.query('SELECT pg_advisory_lock($1)', [migrationLockKey(schema).toString()]);
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${ident}`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${ident}.schema_migrations (
           version integer PRIMARY KEY,
           name text NOT NULL,
           checksum text NOT NULL,
           applied_at timestamptz NOT NULL DEFAULT now()
         )`,
      );
      const { rows } = await client.query<{ version: number; name: string; checksum: string }>(
        `SELECT version, name, checksum FROM ${ident}.schema_migrations ORDER BY version`,
      );
      const known = new Map(migrations.map((m) => [m.version, m]));
      for (const row of rows) {
        const mine = known.get(row.version);
        if (!mine) {
          throw new ConfigError(
            `The PostgreSQL schema '${schema}' is at version ${rows.at(-1)!.version}, newer than this hub knows (${migrations.length}). Upgrade the hub, or point it at another schema.`,
          );
        }
        if (mine.checksum !== row.checksum) {
          throw new ConfigError(
            `Migration ${row.version}_${row.name} applied to schema '${schema}' differs from the one this hub ships. Do not edit released migrations; add a new one.`,
          );
        }
      }
      const applied: number[] = [];
      for (const m of migrations) {
        if (rows.some((r) => r.version === m.version)) continue;
        await client.query('BEGIN');
        try {
          await client.query(`SET LOCAL search_path TO ${ident}`);
          await client.query(m.sql);
          await client.query(
            `INSERT INTO ${ident}.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)`,
            [m.version, m.name, m.checksum],
          );
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw new ConfigError(
            `Migration ${m.version}_${m.name} failed on schema '${schema}': ${(err as Error).message}`,
            { cause: err },
          );
        }
        applied.push(m.version);
      }
      return { applied, version: migrations.at(-1)?.version ?? 0 };
    } finally {
      await client
        .query('SELECT pg_advisory_unlock($1)', [migrationLockKey(schema).toString()])
        .catch(() => undefined);
    }
  }, 'connect-only');
}
