import { open, stat } from 'node:fs/promises';
import { describeError } from '../errors.js';
import type { LogTail, LogTails } from '../extension-points/store.js';
import type { Logger } from '../logging.js';

export interface LogMirrorLimits {
  /** How often the log file is looked at while the attempt runs. */
  checkMs: number;
  /** At most one write per this many milliseconds while the attempt runs (the last one is always written). */
  writeEveryMs: number;
  /** Lines kept per segment (the newest). */
  maxLines: number;
  /** Bytes of the file's end read per write, so a huge log costs little. */
  maxBytes: number;
}

export const DEFAULT_LOG_MIRROR_LIMITS: LogMirrorLimits = {
  checkMs: 500,
  writeEveryMs: 2_000,
  maxLines: 10_000,
  maxBytes: 1024 * 1024,
};

/**
 * Copies the part of a benchmark's log file written by one run of one attempt (everything after the
 * file's size when it started) into the store as a bounded tail, while the attempt runs and once
 * more when it ends. A write that fails is logged and retried on the next change: the log file
 * stays the complete record, the store's copy is what other replicas show.
 */
export class LogMirror {
  private readonly timer: NodeJS.Timeout;
  private lastSize: number;
  private lastWrite = 0;
  private writing: Promise<void> = Promise.resolve();
  private stopped = false;

  private constructor(
    private readonly tails: LogTails,
    private readonly file: string,
    private readonly segment: Omit<LogTail, 'lines'>,
    private readonly startOffset: number,
    private readonly limits: LogMirrorLimits,
    private readonly logger: Logger,
  ) {
    this.lastSize = startOffset;
    this.timer = setInterval(() => void this.check(), limits.checkMs);
    this.timer.unref();
  }

  /** Starts mirroring what `file` gets from now on (the file may not exist yet). */
  static async start(options: {
    tails: LogTails;
    file: string;
    segment: Omit<LogTail, 'lines'>;
    limits?: Partial<LogMirrorLimits>;
    logger: Logger;
  }): Promise<LogMirror> {
    const offset = await fileSize(options.file);
    return new LogMirror(
      options.tails,
      options.file,
      options.segment,
      offset,
      { ...DEFAULT_LOG_MIRROR_LIMITS, ...options.limits },
      options.logger,
    );
  }

  /** Writes what is new now, waiting for a write in flight; resolves when the store has it. */
  flush(): Promise<void> {
    return this.enqueue(true);
  }

  /** Stops the checks and writes the segment's final tail. */
  async stop(): Promise<void> {
    if (this.stopped) return this.writing;
    this.stopped = true;
    clearInterval(this.timer);
    await this.enqueue(true);
  }

  private check(): void {
    if (this.stopped || Date.now() - this.lastWrite < this.limits.writeEveryMs) return;
    void this.enqueue(false);
  }

  private enqueue(force: boolean): Promise<void> {
    this.writing = this.writing.then(() => this.write(force));
    return this.writing;
  }

  private async write(force: boolean): Promise<void> {
    const size = await fileSize(this.file);
    if (size === this.lastSize) return;
    if (!force && Date.now() - this.lastWrite < this.limits.writeEveryMs) return;
    try {
      const lines = await readLines(this.file, this.startOffset, size, this.limits);
      await this.tails.put({ ...this.segment, lines });
      this.lastSize = size;
      this.lastWrite = Date.now();
    } catch (err) {
      this.logger.warn(
        { evaluation_id: this.segment.evaluationId, err: describeError(err) },
        'could not store the benchmark log tail; retrying on its next change',
      );
    }
  }
}

async function fileSize(file: string): Promise<number> {
  return stat(file).then(
    (s) => s.size,
    () => 0,
  );
}

/** The complete lines of `file` between `from` and `to`, at most the last `maxLines` and `maxBytes`. */
async function readLines(
  file: string,
  from: number,
  to: number,
  limits: Pick<LogMirrorLimits, 'maxLines' | 'maxBytes'>,
): Promise<string[]> {
  const start = Math.max(from, to - limits.maxBytes);
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(to - start);
    await fh.read(buf, 0, buf.length, start);
    const lines = buf
      .toString('utf8')
      .split(/\r\n|\n|\r/)
      .filter((l) => l.length > 0);
    if (start > from) lines.shift(); // cut by the byte bound
    return lines.slice(-limits.maxLines);
  } finally {
    await fh.close();
  }
}
