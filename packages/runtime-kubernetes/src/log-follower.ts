import type { Log } from '@kubernetes/client-node';
import { Writable } from 'node:stream';

/**
 * Follows one container's log (the pod log API with `follow=true`) into a sink, from where the last
 * connection stopped: a follow that ends early (API server or node restart) is re-opened with
 * `sinceTime` of the last line, so lines are neither lost nor repeated beyond the same second.
 */
export class LogFollower {
  private controller: AbortController | undefined;
  private stopped = false;
  private lastTime: string | undefined;
  private done: Promise<void> = Promise.resolve();
  private pending = '';
  /** Ends the current follow request's wait (an aborted request does not always call back). */
  private wake: () => void = () => undefined;

  constructor(
    private readonly o: {
      log: Log;
      namespace: string;
      pod: string;
      container: string;
      write: (text: string) => void;
      onRequest?: () => void;
    },
  ) {}

  start(): void {
    this.done = this.follow();
  }

  /** Stops following and resolves once the last chunk was written. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.controller?.abort();
    this.wake();
    await this.done;
    if (this.pending) this.o.write(this.pending);
    this.pending = '';
  }

  private async follow(): Promise<void> {
    for (let tries = 0; !this.stopped && tries < 20; tries++) {
      const ended = new Promise<void>((resolve) => {
        this.wake = resolve;
        if (this.stopped) resolve();
        const sink = new Writable({
          write: (chunk: Buffer, _enc, cb) => {
            this.take(chunk.toString('utf8'));
            cb();
          },
        });
        sink.on('finish', () => resolve());
        this.o.onRequest?.();
        this.o.log
          .log(this.o.namespace, this.o.pod, this.o.container, sink, () => resolve(), {
            follow: true,
            timestamps: true,
            ...(this.lastTime ? { sinceTime: this.lastTime } : {}),
          })
          .then((c) => {
            this.controller = c;
            if (this.stopped) c.abort();
          })
          .catch(() => resolve());
      });
      await ended;
      if (this.stopped) return;
      await new Promise((r) => setTimeout(r, Math.min(500 * 2 ** tries, 5_000)).unref());
    }
  }

  /** Splits `timestamp text` lines, remembers the newest timestamp and writes the text. */
  private take(chunk: string): void {
    this.pending += chunk;
    const lines = this.pending.split('\n');
    this.pending = lines.pop() ?? '';
    let out = '';
    for (const line of lines) {
      const space = line.indexOf(' ');
      const ts = space > 0 ? line.slice(0, space) : '';
      if (/^\d{4}-\d\d-\d\dT/.test(ts)) {
        if (this.lastTime && ts < this.lastTime) continue;
        this.lastTime = ts;
        out += `${line.slice(space + 1)}\n`;
      } else out += `${line}\n`;
    }
    if (out) this.o.write(out);
  }
}
