import type pg from 'pg';
import { hasErrorCode } from '@evalhub/core';
import { isTransient, type Database } from './database.js';

/** One write: statements on the batch's connection, inside its transaction. */
export type Write<T> = (client: pg.PoolClient, attempt: number) => Promise<T>;

interface Queued {
  write: Write<unknown>;
  /** One statement: alone in its batch it runs without BEGIN/COMMIT (two round trips fewer). */
  single: boolean;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

/**
 * Group commit, as in the SQLite store: the writes issued while the previous batch commits form the
 * next batch, applied in issue order in one transaction on one connection, and each write's promise
 * resolves once its batch committed. Issue order is kept (a save issued after a create applies after
 * it) and a burst costs one commit instead of one per write. A batch that fails is rolled back and
 * its writes are applied one by one, so only the failing write rejects. Connection failures are
 * retried within the database's retry window (writes are upserts or carry their own checks).
 */
export class GroupCommit {
  private queue: Queued[] = [];
  private running: Promise<void> | undefined;

  constructor(
    private readonly db: Database,
    private readonly maxBatch = 256,
  ) {}

  run<T>(write: Write<T>, options: { singleStatement?: boolean } = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({
        write: write as Write<unknown>,
        single: options.singleStatement === true,
        resolve: resolve as (v: unknown) => void,
        reject,
      });
      this.running ??= this.drain();
    });
  }

  /** Resolves when everything queued so far has been written. */
  async flush(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    // Let the writes of the current turn join the first batch.
    await new Promise<void>((ok) => setImmediate(ok));
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        await this.commit(batch);
      }
    } finally {
      this.running = undefined;
    }
  }

  private async commit(batch: Queued[]): Promise<void> {
    if (batch.length > 1) {
      try {
        const results = await this.db.transaction(async (client, attempt) => {
          const out: unknown[] = [];
          for (const w of batch) out.push(await w.write(client, attempt));
          return out;
        });
        batch.forEach((w, i) => w.resolve(results[i]));
        return;
      } catch (err) {
        if (isTransient(err) || hasErrorCode(err, 'store_unavailable')) {
          for (const w of batch) w.reject(err);
          return;
        }
        // Rolled back as a whole: apply each write on its own below.
      }
    }
    for (const w of batch) {
      try {
        w.resolve(
          w.single
            ? await this.db.withClient((client, attempt) => w.write(client, attempt))
            : await this.db.transaction((client, attempt) => w.write(client, attempt)),
        );
      } catch (err) {
        w.reject(err);
      }
    }
  }
}
