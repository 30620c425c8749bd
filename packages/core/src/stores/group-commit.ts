import type Database from 'better-sqlite3';

interface QueuedWrite {
  write: () => unknown;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

/**
 * Group commit: the writes issued during one turn of the event loop share one transaction, which
 * commits before any of their promises resolves (so an awaited write is as durable as before). Under
 * load this turns many small commits — each appending the same B-tree pages to the WAL again — into
 * one. A batch that fails is rolled back and its writes are retried one by one, so only the failing
 * write rejects.
 */
export class GroupCommit {
  private queue: QueuedWrite[] = [];
  private scheduled = false;

  constructor(private readonly db: Database.Database) {}

  run<T>(write: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ write, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits everything queued; also called synchronously before the database closes. */
  flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    if (batch.length > 1) {
      const results: unknown[] = [];
      try {
        this.db.transaction(() => {
          for (const w of batch) results.push(w.write());
        })();
        batch.forEach((w, i) => w.resolve(results[i]));
        return;
      } catch {
        // Rolled back as a whole: fall through and commit each write on its own.
      }
    }
    for (const w of batch) {
      try {
        w.resolve(this.db.transaction(w.write)());
      } catch (err) {
        w.reject(err);
      }
    }
  }
}
