import { StoreUnavailableError, type Logger } from '@evalhub/core';
import pg from 'pg';

/** SQLSTATE classes and socket errors that mean "the database is not reachable right now". */
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  '57P01', // admin_shutdown (fast shutdown, restart)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, recovering)
  '53300', // too_many_connections
  '25P03', // idle_in_transaction_session_timeout (the session was ended while this process stalled)
]);
const TRANSIENT_MESSAGE =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|the database system is (starting up|shutting down)|Client was closed/i;

/** True when the error comes from the connection, not from the statement: retrying may succeed. */
export function isTransient(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (TRANSIENT_CODES.has(code) || code.startsWith('08'))) return true;
  if (err instanceof AggregateError) return err.errors.some(isTransient);
  return TRANSIENT_MESSAGE.test(err.message);
}

export interface DatabaseOptions {
  pool: pg.PoolConfig;
  retryWindowMs: number;
  /** `user@host:port/database`: what the messages name (never the password). */
  target: string;
  logger?: Logger;
}

const sleep = (ms: number): Promise<void> => new Promise((ok) => setTimeout(ok, ms));

/**
 * The connection pool and its failure handling. Idle connections the server drops (a restart, a
 * fail-over) are discarded by the pool and replaced on the next use; a call that cannot get a working
 * connection keeps trying for `retryWindowMs` with backoff and then fails with StoreUnavailableError.
 */
export class Database {
  readonly pool: pg.Pool;
  private closed = false;

  constructor(private readonly options: DatabaseOptions) {
    this.pool = new pg.Pool(options.pool);
    // An idle client's socket error (server restart) must not crash the process: the pool drops it.
    this.pool.on('error', (err) => {
      options.logger?.warn(
        { err: { message: err.message } },
        `PostgreSQL ${options.target}: idle connection lost`,
      );
    });
  }

  get target(): string {
    return this.options.target;
  }

  /**
   * Runs `fn` on one pooled connection. Connection failures are retried within the retry window;
   * a failure during `fn` is retried only when `retry` says the work can be repeated safely.
   */
  async withClient<T>(
    fn: (client: pg.PoolClient, attempt: number) => Promise<T>,
    retry: 'always' | 'connect-only' = 'always',
  ): Promise<T> {
    const deadline = Date.now() + this.options.retryWindowMs;
    let delay = 50;
    for (let attempt = 0; ; attempt++) {
      if (this.closed) throw new StoreUnavailableError('The PostgreSQL store is closed.');
      let client: pg.PoolClient;
      try {
        client = await this.pool.connect();
      } catch (err) {
        if (isTransient(err) && Date.now() < deadline) {
          await sleep(delay);
          delay = Math.min(delay * 2, 1_000);
          continue;
        }
        throw this.unavailable(err);
      }
      // While checked out, a client's socket error (the server ending the session between two
      // statements) is an 'error' event the pool does not listen to: note it here instead.
      let socketError: Error | undefined;
      const onError = (err: Error): void => {
        socketError = err;
      };
      client.on('error', onError);
      try {
        const result = await fn(client, attempt);
        client.off('error', onError);
        client.release(socketError);
        return result;
      } catch (err) {
        client.off('error', onError);
        const broken = isTransient(err) || socketError !== undefined;
        client.release(broken ? (socketError ?? (err as Error)) : undefined);
        if (!broken) throw err;
        if (retry === 'always' && Date.now() < deadline) {
          await sleep(delay);
          delay = Math.min(delay * 2, 1_000);
          continue;
        }
        throw this.unavailable(err);
      }
    }
  }

  /** One statement on any pooled connection (retried like `withClient`). */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values: unknown[] = [],
    retry: 'always' | 'connect-only' = 'always',
  ): Promise<pg.QueryResult<R>> {
    return this.withClient((c) => c.query<R>(text, values), retry);
  }

  /** `BEGIN` … `COMMIT` around `fn` on one connection; rolled back when `fn` throws. */
  transaction<T>(
    fn: (client: pg.PoolClient, attempt: number) => Promise<T>,
    retry: 'always' | 'connect-only' = 'always',
  ): Promise<T> {
    return this.withClient(async (client, attempt) => {
      await client.query('BEGIN');
      try {
        const result = await fn(client, attempt);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        if (!isTransient(err)) await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    }, retry);
  }

  private unavailable(err: unknown): StoreUnavailableError {
    return new StoreUnavailableError(
      `The PostgreSQL database ${this.options.target} is unreachable: ${(err as Error).message || String(err)}. Check that it runs and accepts connections; the hub reconnects by itself.`,
      { cause: err },
    );
  }

  /** One `SELECT 1` on a pooled connection, without retries, failing after `timeoutMs`. */
  async probe(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const attempt = (async () => {
      const client = await this.pool.connect();
      let socketError: Error | undefined;
      const onError = (err: Error): void => {
        socketError = err;
      };
      client.on('error', onError);
      try {
        await client.query('SELECT 1');
      } finally {
        client.off('error', onError);
        client.release(socketError);
      }
    })();
    attempt.catch(() => undefined);
    try {
      await Promise.race([
        attempt,
        new Promise<never>((_, fail) => {
          timer = setTimeout(() => fail(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  stats(): { total: number; idle: number; waiting: number } {
    return { total: this.pool.totalCount, idle: this.pool.idleCount, waiting: this.pool.waitingCount };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
