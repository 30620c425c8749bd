import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

export interface CheckpointResult {
  /** Frames in the WAL when the checkpoint ran. */
  log: number;
  /** Frames copied into the database file so far. */
  checkpointed: number;
}

/**
 * Runs SQLite's WAL checkpoints on a worker thread with its own connection.
 *
 * With SQLite's automatic checkpoint the commit that crosses the WAL size limit copies the WAL into
 * the database file and fsyncs it — on the event loop, so every request waiting behind that commit
 * waits too (tens of milliseconds on a busy disk). Here the main connection never checkpoints; a
 * worker runs a PASSIVE checkpoint (which never blocks the writer) every `intervalMs`, and the
 * writer starts the WAL from the beginning again once a checkpoint has caught up.
 *
 * The worker is an eval'd CommonJS script so that it needs no file of its own next to the compiled
 * (or, under the tests, TypeScript) module.
 */
export class WalCheckpointer {
  private readonly worker: Worker;
  private nextRequest = 0;
  private readonly waiting = new Map<number, (r: CheckpointResult | Error) => void>();
  private failed: Error | undefined;

  constructor(path: string, options: { intervalMs?: number; onFailure?: (err: Error) => void } = {}) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        module: createRequire(import.meta.url).resolve('better-sqlite3'),
        path,
        intervalMs: options.intervalMs ?? 500,
      },
    });
    this.worker.unref();
    this.worker.on('message', (m: { id: number; log?: number; checkpointed?: number; error?: string }) => {
      const reply = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      if (this.waiting.size === 0) this.worker.unref();
      reply?.(m.error ? new Error(m.error) : { log: m.log!, checkpointed: m.checkpointed! });
    });
    this.worker.on('error', (err) => {
      this.failed = err;
      for (const reply of this.waiting.values()) reply(err);
      this.waiting.clear();
      options.onFailure?.(err);
    });
  }

  /** Checkpoints now (PASSIVE) and reports how far the WAL has been copied. */
  checkpoint(): Promise<CheckpointResult> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextRequest++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, (r) => (r instanceof Error ? reject(r) : resolve(r)));
      // The worker never keeps the process alive, except while someone waits for its answer.
      this.worker.ref();
      this.worker.postMessage({ id });
    });
  }

  async close(): Promise<void> {
    if (this.failed) return;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.ref();
    this.worker.postMessage('stop');
    await exited;
  }
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.path);
const checkpoint = () => {
  const [row] = db.pragma('wal_checkpoint(PASSIVE)');
  return { log: row.log, checkpointed: row.checkpointed };
};
const timer = setInterval(() => {
  try { checkpoint(); } catch { /* busy or locked: the next round catches up */ }
}, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m === 'stop') {
    clearInterval(timer);
    db.close();
    parentPort.close();
    return;
  }
  try { parentPort.postMessage({ id: m.id, ...checkpoint() }); }
  catch (err) { parentPort.postMessage({ id: m.id, error: String(err && err.message || err) }); }
});
`;
