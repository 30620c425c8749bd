import { inject } from 'vitest';
import { PostgresStore } from '../src/postgres-store.js';
import type { PostgresStoreOptions } from '../src/options.js';

/** The real PostgreSQL server of this test run (tools/test/setup-postgres.ts). */
export const server = inject('postgres');

let counter = 0;
/** A schema name no other test uses: each store under test starts empty. */
export function freshSchema(prefix = 't'): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${++counter}`;
}

/** A store on the test server in a fresh schema (or the given one, to share it between replicas). */
export function openStore(
  options: Partial<PostgresStoreOptions> = {},
  replicaId?: string,
): Promise<PostgresStore> {
  return PostgresStore.open({
    options: { url: server.url, schema: freshSchema(), pool_max: 4, ...options },
    ...(replicaId ? { replicaId } : {}),
  });
}
