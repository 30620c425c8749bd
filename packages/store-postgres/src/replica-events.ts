import { randomUUID } from 'node:crypto';
import type { ReplicaEvent, ReplicaEvents } from '@evalhub/core';
import pg from 'pg';
import type { Database } from './database.js';

export interface ReplicaEventsOptions {
  schema: string;
  /** Poll the events table this often, whether or not LISTEN works (the fallback). */
  pollMs: number;
  retentionMs: number;
  /** Use LISTEN/NOTIFY to learn of new events at once (default true). */
  listen?: boolean;
  origin?: string;
}

interface Listener {
  fn: (event: ReplicaEvent) => void;
  includeOwn: boolean;
}

interface EventRow {
  seq: string;
  topic: string;
  origin: string;
  payload: string;
}

/** A gap in the seq numbers (a publish not yet committed, or rolled back) is waited for this long. */
const GAP_WAIT_MS = 10_000;
const BATCH = 500;

/**
 * ReplicaEvents on PostgreSQL. `publish` inserts the event into `replica_events` and NOTIFYs (one
 * statement; the notification is sent when it commits). Each subscribed replica reads the table
 * from where it was: woken by the notification on its own LISTEN connection, and also every
 * `pollMs`, so events still arrive (later) while LISTEN is unavailable, and a replica that was
 * disconnected catches up. Seq numbers are watched for gaps, so an event committed after a later
 * one is still delivered. Old events are deleted after `retentionMs`.
 */
export class PostgresReplicaEvents implements ReplicaEvents {
  readonly origin: string;
  readonly channel: string;
  private readonly listeners = new Set<Listener>();
  private started: Promise<void> | undefined;
  private listenClient: pg.Client | undefined;
  private connecting = false;
  private timer: NodeJS.Timeout | undefined;
  /** Every seq at or below it was delivered (or given up on); `pending` holds delivered ones above. */
  private watermark = 0;
  private readonly pending = new Set<number>();
  private readonly gapsSince = new Map<number, number>();
  private fetching: Promise<void> | undefined;
  private again = false;
  private lastCleanup = 0;
  private closed = false;
  /** Counters for health and tests. */
  readonly stats = { delivered: 0, notifications: 0, polls: 0, listenConnects: 0 };

  constructor(
    private readonly db: Database,
    private readonly options: ReplicaEventsOptions,
  ) {
    this.origin = options.origin ?? randomUUID();
    this.channel = `evalhub_events_${options.schema}`.slice(0, 63);
  }

  /** Whether a LISTEN connection is up right now. */
  get listening(): boolean {
    return this.listenClient !== undefined;
  }

  async publish(topic: string, payload: unknown): Promise<void> {
    await this.db.query(
      `WITH e AS (INSERT INTO replica_events (topic, origin, payload) VALUES ($1, $2, $3) RETURNING seq)
       SELECT pg_notify($4, seq::text) FROM e`,
      [topic, this.origin, JSON.stringify(payload ?? null), this.channel],
      // Not repeated when the answer was lost: delivery is at least once, not more than once per publish.
      'connect-only',
    );
  }

  subscribe(listener: (event: ReplicaEvent) => void, options: { includeOwn?: boolean } = {}): () => void {
    const entry: Listener = { fn: listener, includeOwn: options.includeOwn === true };
    this.listeners.add(entry);
    void this.start();
    return () => {
      this.listeners.delete(entry);
    };
  }

  /** Resolves once the subscription reads from the current end of the table (events published after it arrive). */
  ready(): Promise<void> {
    return this.start();
  }

  private start(): Promise<void> {
    this.started ??= (async () => {
      const { rows } = await this.db.query<{ seq: string }>(
        'SELECT coalesce(max(seq), 0) AS seq FROM replica_events',
      );
      this.watermark = Number(rows[0]!.seq);
      if (this.options.listen !== false) await this.connectListener();
      this.schedule();
    })().catch((err: unknown) => {
      // Database down at the first subscribe: start again on the next poll.
      this.started = undefined;
      if (!this.closed) this.timer = setTimeout(() => void this.start(), this.options.pollMs);
      throw err;
    });
    this.started.catch(() => undefined);
    return this.started;
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.stats.polls++;
      if (!this.listenClient && this.options.listen !== false) void this.connectListener();
      this.fetch();
      this.schedule();
    }, this.options.pollMs);
    this.timer.unref?.();
  }

  private async connectListener(): Promise<void> {
    if (this.connecting || this.listenClient || this.closed) return;
    this.connecting = true;
    const client = new pg.Client(this.db.pool.options as pg.ClientConfig);
    const drop = (): void => {
      if (this.listenClient === client) this.listenClient = undefined;
      client.removeAllListeners('notification');
      void client.end().catch(() => undefined);
    };
    client.on('error', drop);
    client.on('end', drop);
    try {
      await client.connect();
      await client.query(`LISTEN "${this.channel}"`);
      client.on('notification', () => {
        this.stats.notifications++;
        this.fetch();
      });
      if (this.closed) {
        drop();
        return;
      }
      this.listenClient = client;
      this.stats.listenConnects++;
      // Whatever was published while not listening.
      this.fetch();
    } catch {
      drop();
    } finally {
      this.connecting = false;
    }
  }

  /** Reads and delivers new events; one read at a time, another right after when asked meanwhile. */
  private fetch(): void {
    if (this.fetching) {
      this.again = true;
      return;
    }
    this.fetching = (async () => {
      do {
        this.again = false;
        try {
          await this.readOnce();
        } catch {
          // Database unreachable: the next poll tries again.
        }
      } while (this.again && !this.closed);
    })().finally(() => {
      this.fetching = undefined;
    });
  }

  private async readOnce(): Promise<void> {
    if (this.closed || this.listeners.size === 0) return;
    const { rows } = await this.db.query<EventRow>(
      'SELECT seq, topic, origin, payload::text AS payload FROM replica_events WHERE seq > $1 ORDER BY seq LIMIT $2',
      [this.watermark, BATCH],
      'connect-only',
    );
    for (const r of rows) {
      const seq = Number(r.seq);
      if (this.pending.has(seq)) continue;
      this.pending.add(seq);
      this.deliver({ topic: r.topic, origin: r.origin, payload: JSON.parse(r.payload) as unknown });
    }
    this.advance();
    if (rows.length === BATCH) this.again = true;
    await this.cleanup();
  }

  /** Moves the watermark over delivered seqs, and over gaps older than GAP_WAIT_MS. */
  private advance(): void {
    const now = Date.now();
    const highest = Math.max(this.watermark, ...this.pending);
    while (this.watermark < highest) {
      const next = this.watermark + 1;
      if (this.pending.delete(next)) {
        this.gapsSince.delete(next);
        this.watermark = next;
        continue;
      }
      const since = this.gapsSince.get(next) ?? now;
      this.gapsSince.set(next, since);
      if (now - since < GAP_WAIT_MS) break;
      this.gapsSince.delete(next);
      this.watermark = next;
    }
  }

  private deliver(event: ReplicaEvent): void {
    for (const l of [...this.listeners]) {
      if (event.origin === this.origin && !l.includeOwn) continue;
      this.stats.delivered++;
      try {
        l.fn(event);
      } catch {
        // A listener's failure is its own.
      }
    }
  }

  private async cleanup(): Promise<void> {
    const now = Date.now();
    if (now - this.lastCleanup < 60_000) return;
    this.lastCleanup = now;
    await this.db.query(
      `DELETE FROM replica_events WHERE created_at < now() - $1 * interval '1 millisecond'`,
      [this.options.retentionMs],
      'connect-only',
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.listeners.clear();
    await this.fetching;
    const client = this.listenClient;
    this.listenClient = undefined;
    await client?.end().catch(() => undefined);
  }
}
