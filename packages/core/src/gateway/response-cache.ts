/**
 * The gateway's response cache: model answers stored in a SQLite file under the data dir, keyed by
 * the model server, the model name, the route and the exact request body bytes, bounded in size
 * with least-recently-used eviction. Only deterministic requests are cached (`isCacheable`).
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export interface CachedResponse {
  status: number;
  /** The answer's content type (other headers are not replayed). */
  contentType: string | undefined;
  body: Buffer;
}

export interface ResponseCacheOptions {
  /** SQLite file, e.g. `<data_dir>/gateway-cache.db`. */
  file: string;
  /** Total body bytes kept; the least recently used answers go first. Default 1 GiB. */
  maxBytes?: number;
}

export interface CacheKeyParts {
  /** The model server's base URL (identity of the server). */
  server: string;
  /** `model` of the request body. */
  model: string;
  method: string;
  /** Path below the server's root, with the query. */
  path: string;
  body: Uint8Array;
}

export function cacheKey(parts: CacheKeyParts): string {
  return createHash('sha256')
    .update(parts.server)
    .update('\0')
    .update(parts.model)
    .update('\0')
    .update(parts.method)
    .update('\0')
    .update(parts.path)
    .update('\0')
    .update(parts.body)
    .digest('hex');
}

/**
 * Whether an inference request's answer can be replayed: never a stream; embeddings always;
 * completions and chat only when greedy (`temperature: 0`) or seeded (`seed` set). A request without
 * `temperature` samples at the server's default (1), so it needs a seed.
 */
export function isCacheable(path: string, body: Record<string, unknown>): boolean {
  if (body['stream'] === true) return false;
  if (/\/embeddings$/.test(path)) return true;
  if (!/\/(chat\/)?completions$/.test(path)) return false;
  if (typeof body['seed'] === 'number') return true;
  return body['temperature'] === 0;
}

export interface CacheStats {
  entries: number;
  bytes: number;
  maxBytes: number;
}

export class ResponseCache {
  private readonly db: Database.Database;
  private readonly maxBytes: number;
  private bytes: number;
  private readonly getStmt: Database.Statement<
    [string],
    { status: number; content_type: string | null; body: Buffer }
  >;
  private readonly touchStmt: Database.Statement<[number, string]>;
  private readonly putStmt: Database.Statement<[string, number, string | null, Buffer, number, number]>;
  private readonly sizeStmt: Database.Statement<[string], { size: number }>;
  private readonly oldestStmt: Database.Statement<[number], { key: string; size: number }>;
  private readonly deleteStmt: Database.Statement<[string]>;
  private clock = 0;

  constructor(options: ResponseCacheOptions) {
    this.maxBytes = options.maxBytes ?? 1024 ** 3;
    mkdirSync(dirname(options.file), { recursive: true });
    this.db = new Database(options.file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`CREATE TABLE IF NOT EXISTS responses (
      key TEXT PRIMARY KEY,
      status INTEGER NOT NULL,
      content_type TEXT,
      body BLOB NOT NULL,
      size INTEGER NOT NULL,
      last_used INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS responses_lru ON responses (last_used);`);
    this.getStmt = this.db.prepare('SELECT status, content_type, body FROM responses WHERE key = ?');
    this.touchStmt = this.db.prepare('UPDATE responses SET last_used = ? WHERE key = ?');
    this.putStmt = this.db.prepare(
      `INSERT INTO responses (key, status, content_type, body, size, last_used) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET status = excluded.status, content_type = excluded.content_type,
         body = excluded.body, size = excluded.size, last_used = excluded.last_used`,
    );
    this.sizeStmt = this.db.prepare('SELECT size FROM responses WHERE key = ?');
    this.oldestStmt = this.db.prepare('SELECT key, size FROM responses ORDER BY last_used LIMIT ?');
    this.deleteStmt = this.db.prepare('DELETE FROM responses WHERE key = ?');
    const row = this.db
      .prepare('SELECT COALESCE(SUM(size), 0) AS bytes, COALESCE(MAX(last_used), 0) AS clock FROM responses')
      .get() as { bytes: number; clock: number };
    this.bytes = row.bytes;
    this.clock = row.clock;
  }

  /** A logical clock: strictly increasing use order, also across restarts. */
  private tick(): number {
    this.clock = Math.max(this.clock + 1, Date.now());
    return this.clock;
  }

  get(key: string): CachedResponse | undefined {
    const row = this.getStmt.get(key);
    if (!row) return undefined;
    this.touchStmt.run(this.tick(), key);
    return { status: row.status, contentType: row.content_type ?? undefined, body: row.body };
  }

  put(key: string, response: CachedResponse): void {
    const size = response.body.length;
    if (size > this.maxBytes) return;
    const tx = this.db.transaction(() => {
      const old = this.sizeStmt.get(key);
      this.putStmt.run(key, response.status, response.contentType ?? null, response.body, size, this.tick());
      this.bytes += size - (old?.size ?? 0);
      if (this.bytes > this.maxBytes) this.evict(this.maxBytes * 0.9);
    });
    tx();
  }

  /** Drops least-recently-used answers until at most `target` bytes are kept. */
  private evict(target: number): void {
    while (this.bytes > target) {
      const rows = this.oldestStmt.all(64);
      if (rows.length === 0) {
        this.bytes = 0;
        return;
      }
      for (const r of rows) {
        if (this.bytes <= target) return;
        this.deleteStmt.run(r.key);
        this.bytes -= r.size;
      }
    }
  }

  stats(): CacheStats {
    const { entries } = this.db.prepare('SELECT COUNT(*) AS entries FROM responses').get() as {
      entries: number;
    };
    return { entries, bytes: this.bytes, maxBytes: this.maxBytes };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
