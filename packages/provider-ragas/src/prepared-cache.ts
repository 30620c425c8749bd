/**
 * Keeps what `validate` parsed for a benchmark until its `run`, so a request's dataset is read and
 * checked once. An entry is used only while the file is unchanged (same size and modification time)
 * and the benchmark config is the same; it is bounded by count and by the bytes of the files held, and
 * taken out when used. A miss (a restart, an eviction, a changed file) just means parsing again.
 */
import { stat } from 'node:fs/promises';

export interface CacheLimits {
  /** Entries kept at most. Default 32. */
  maxEntries?: number;
  /** Sum of the cached files' sizes kept at most. Default 64 MiB. */
  maxBytes?: number;
}

interface Entry<T> {
  key: string;
  path: string;
  size: number;
  mtimeMs: number;
  value: T;
}

export class PreparedCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private bytes = 0;
  private readonly maxEntries: number;
  private readonly maxBytes: number;

  constructor(limits: CacheLimits = {}) {
    this.maxEntries = limits.maxEntries ?? 32;
    this.maxBytes = limits.maxBytes ?? 64 * 1024 * 1024;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Remember `value`, parsed from the file at `path`, for the request slot `slot` under `key`. */
  async put(slot: string, key: string, path: string, value: T): Promise<void> {
    const info = await stat(path).catch(() => undefined);
    if (!info || info.size > this.maxBytes) return;
    this.remove(slot);
    this.entries.set(slot, { key, path, size: info.size, mtimeMs: info.mtimeMs, value });
    this.bytes += info.size;
    for (const [oldest] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.bytes <= this.maxBytes) break;
      this.remove(oldest);
    }
  }

  /** The value remembered for `slot`, when `key` matches and its file is unchanged; removed either way. */
  async take(slot: string, key: string): Promise<T | undefined> {
    const entry = this.entries.get(slot);
    if (!entry) return undefined;
    this.remove(slot);
    if (entry.key !== key) return undefined;
    const info = await stat(entry.path).catch(() => undefined);
    if (!info || info.size !== entry.size || info.mtimeMs !== entry.mtimeMs) return undefined;
    return entry.value;
  }

  private remove(slot: string): void {
    const entry = this.entries.get(slot);
    if (!entry) return;
    this.entries.delete(slot);
    this.bytes -= entry.size;
  }
}
