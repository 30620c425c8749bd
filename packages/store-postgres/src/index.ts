// Public surface of @evalhub/store-postgres.
export { postgresStorePlugin, postgresStorePlugin as default } from './plugin.js';
export { POSTGRES_ERROR_CODES } from './error-codes.js';
export { PostgresStore } from './postgres-store.js';
export type { PostgresStoreInit } from './postgres-store.js';
export { optionsSchema, resolveOptions } from './options.js';
export type { PostgresStoreOptions, ResolvedPostgresOptions } from './options.js';
export { PostgresLeases } from './leases.js';
export { PostgresReplicaEvents } from './replica-events.js';
export type { ReplicaEventsOptions } from './replica-events.js';
export { migrate, readMigrations, migrationLockKey, MIGRATIONS_DIR } from './migrator.js';
export type { Migration, MigrationResult } from './migrator.js';
export { buildListSql } from './list-query.js';
export { isTransient } from './database.js';
