import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { ConfigError } from '@evalhub/core';
import type { PoolConfig } from 'pg';

/**
 * Options of the PostgreSQL store, in the config file's snake_case shape. Core fills them from
 * `EVALHUB_DATABASE_URL`, `EVALHUB_DATABASE_PASSWORD_FILE` and the libpq variables (`PGHOST`,
 * `PGPORT`, `PGDATABASE`, `PGUSER`, `PGPASSWORD`, `PGSSLMODE`, `PGSSLROOTCERT`, `PGSSLCERT`,
 * `PGSSLKEY`, `PGAPPNAME`, `PGCONNECT_TIMEOUT`) and from `store.options` in the config file.
 * Separate fields win over the parts of `url`.
 */
export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database?sslmode=require`. */
  url?: string;
  host?: string;
  port?: number;
  database?: string;
  user?: string;
  password?: string;
  /** File holding the password (e.g. a mounted Secret); read for every new connection, so it can rotate. */
  password_file?: string;
  /** `disable` (default), `require` (encrypted, any certificate), `verify-ca`, `verify-full`. */
  ssl_mode?: 'disable' | 'require' | 'verify-ca' | 'verify-full';
  /** CA bundle (PEM) for `verify-ca` / `verify-full`; default: Node's CAs. */
  ssl_root_cert_file?: string;
  /** Client certificate and key (PEM) for certificate authentication. */
  ssl_cert_file?: string;
  ssl_key_file?: string;
  /** Schema holding the hub's tables (created if missing). Default `public`. */
  schema?: string;
  /** Pooled connections per hub process. Default 10. */
  pool_max?: number;
  application_name?: string;
  /** Give up connecting after this long. Default 10 000. */
  connect_timeout_ms?: number;
  /** Server-side limit of one statement. Default 30 000. */
  statement_timeout_ms?: number;
  /**
   * The database ends a session left idle inside a transaction this long (0: never). A replica frozen
   * mid-write (SIGSTOP, a paused VM, a stalled node) would otherwise keep its row locks, and with them
   * its evaluations, from every other replica for as long as it is frozen. Default 5 000.
   */
  idle_in_transaction_timeout_ms?: number;
  /** How long a store call waits out an unreachable database (a restart, a fail-over) before failing. Default 15 000. */
  retry_window_ms?: number;
  /** Replica events: how often a replica also polls (the fallback when a notification is missed). Default 1 000. */
  events_poll_ms?: number;
  /** Replica events: wake up on LISTEN/NOTIFY (default true); false polls only (e.g. behind a transaction-mode pooler). */
  events_listen?: boolean;
  /** Replica events older than this are deleted. Default 600 000 (10 minutes). */
  events_retention_ms?: number;
}

const str = { type: 'string', minLength: 1 } as const;
const ms = { type: 'integer', minimum: 1 } as const;

/** JSON Schema of the options (checked by core's plugin loader before `register`). */
export const optionsSchema: Record<string, unknown> = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  additionalProperties: false,
  properties: {
    url: { type: 'string', pattern: '^postgres(ql)?://' },
    host: str,
    port: { type: 'integer', minimum: 1, maximum: 65535 },
    database: str,
    user: str,
    password: { type: 'string' },
    password_file: str,
    ssl_mode: { enum: ['disable', 'require', 'verify-ca', 'verify-full'] },
    ssl_root_cert_file: str,
    ssl_cert_file: str,
    ssl_key_file: str,
    schema: { type: 'string', pattern: '^[a-z_][a-z0-9_]{0,62}$' },
    pool_max: { type: 'integer', minimum: 1, maximum: 1000 },
    application_name: str,
    connect_timeout_ms: ms,
    statement_timeout_ms: ms,
    idle_in_transaction_timeout_ms: { type: 'integer', minimum: 0 },
    retry_window_ms: { type: 'integer', minimum: 0 },
    events_poll_ms: ms,
    events_listen: { type: 'boolean' },
    events_retention_ms: ms,
  },
  not: { required: ['password', 'password_file'] },
};

/** Settings resolved from the options: what the store and its pool use. */
export interface ResolvedPostgresOptions {
  pool: PoolConfig;
  schema: string;
  retryWindowMs: number;
  eventsPollMs: number;
  eventsRetentionMs: number;
  eventsListen: boolean;
  /** `user@host:port/database` — for logs and health; never the password. */
  target: string;
}

const SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;

function sslModeOf(value: string | undefined, where: string): PostgresStoreOptions['ssl_mode'] {
  if (value === undefined || value === '') return undefined;
  // libpq's `prefer` and `allow` fall back to plain text silently; the store does not.
  if (value === 'prefer' || value === 'allow') return 'disable';
  if ((SSL_MODES as readonly string[]).includes(value)) return value as PostgresStoreOptions['ssl_mode'];
  throw new ConfigError(`${where}: sslmode '${value}' is not one of ${SSL_MODES.join(', ')}.`);
}

/** Maps the options to a pg pool config. Relative file paths resolve from `baseDir` (the config's folder). */
export function resolveOptions(o: PostgresStoreOptions, baseDir: string): ResolvedPostgresOptions {
  const path = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
  const read = (p: string, what: string): string => {
    try {
      return readFileSync(path(p), 'utf8');
    } catch (err) {
      throw new ConfigError(`Cannot read the PostgreSQL ${what} file ${p}: ${(err as Error).message}`);
    }
  };
  let fromUrl: Partial<PostgresStoreOptions> = {};
  if (o.url) {
    let u: URL;
    try {
      u = new URL(o.url);
    } catch {
      // The message never repeats the URL: it may hold the password.
      throw new ConfigError(
        'The PostgreSQL URL (EVALHUB_DATABASE_URL / store.options.url) is not a valid URL.',
      );
    }
    const q = u.searchParams;
    const sslmode = sslModeOf(q.get('sslmode') ?? undefined, 'The PostgreSQL URL');
    fromUrl = {
      ...(u.hostname ? { host: decodeURIComponent(u.hostname.replace(/^\[|\]$/g, '')) } : {}),
      ...(u.port ? { port: Number(u.port) } : {}),
      ...(u.pathname.length > 1 ? { database: decodeURIComponent(u.pathname.slice(1)) } : {}),
      ...(u.username ? { user: decodeURIComponent(u.username) } : {}),
      ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
      ...(sslmode ? { ssl_mode: sslmode } : {}),
      ...(q.get('sslrootcert') ? { ssl_root_cert_file: q.get('sslrootcert')! } : {}),
      ...(q.get('sslcert') ? { ssl_cert_file: q.get('sslcert')! } : {}),
      ...(q.get('sslkey') ? { ssl_key_file: q.get('sslkey')! } : {}),
      ...(q.get('application_name') ? { application_name: q.get('application_name')! } : {}),
    };
  }
  const m: PostgresStoreOptions = { ...fromUrl, ...dropUndefined(o) };
  const host = m.host ?? 'localhost';
  const port = m.port ?? 5432;
  const user = m.user ?? 'postgres';
  const database = m.database ?? user;
  const sslMode = sslModeOf(m.ssl_mode, 'ssl_mode') ?? 'disable';

  let password: PoolConfig['password'];
  if (o.password_file) {
    const file = o.password_file;
    read(file, 'password'); // fail at start-up, not at the first connection
    password = () => read(file, 'password').replace(/\r?\n$/, '');
  } else if (m.password !== undefined) password = m.password;

  let ssl: PoolConfig['ssl'] = false;
  if (sslMode !== 'disable') {
    ssl = {
      rejectUnauthorized: sslMode !== 'require',
      ...(m.ssl_root_cert_file ? { ca: read(m.ssl_root_cert_file, 'CA certificate') } : {}),
      ...(m.ssl_cert_file ? { cert: read(m.ssl_cert_file, 'client certificate') } : {}),
      ...(m.ssl_key_file ? { key: read(m.ssl_key_file, 'client key') } : {}),
      // verify-ca checks the chain but not the host name, as in libpq.
      ...(sslMode === 'verify-ca' ? { checkServerIdentity: () => undefined } : {}),
    };
  }
  const schema = m.schema ?? 'public';
  return {
    pool: {
      host,
      port,
      user,
      database,
      ...(password !== undefined ? { password } : {}),
      ssl,
      max: m.pool_max ?? 10,
      application_name: m.application_name ?? 'evalhub',
      connectionTimeoutMillis: m.connect_timeout_ms ?? 10_000,
      statement_timeout: m.statement_timeout_ms ?? 30_000,
      idle_in_transaction_session_timeout: m.idle_in_transaction_timeout_ms ?? 5_000,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      // Every connection works in the hub's schema.
      options: `-c search_path=${schema}`,
    },
    schema,
    retryWindowMs: m.retry_window_ms ?? 15_000,
    eventsPollMs: m.events_poll_ms ?? 1_000,
    eventsRetentionMs: m.events_retention_ms ?? 600_000,
    eventsListen: m.events_listen ?? true,
    target: `${user}@${host}:${port}/${database}${schema === 'public' ? '' : ` (schema ${schema})`}${sslMode === 'disable' ? '' : ` sslmode=${sslMode}`}`,
  };
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
