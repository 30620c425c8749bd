import type { PostgresServerInfo } from '../src/postgres/launcher.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The real PostgreSQL server started by tools/test/setup-postgres.ts (its URL holds the password). */
    postgres: PostgresServerInfo;
  }
}

export {};
