import type { LogTail, LogTails } from '../extension-points/store.js';

/**
 * LogTails kept in memory, for tests of code that writes or reads them: it records every put, and
 * `failNext` makes the next puts fail as an unreachable database would.
 */
export class MemoryLogTails implements LogTails {
  readonly puts: LogTail[] = [];
  failNext = 0;

  async put(t: LogTail): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('database unreachable');
    }
    this.puts.push(structuredClone({ ...t, lines: t.lines.map((l) => l.replaceAll('\u0000', '\uFFFD')) }));
  }

  async list(evaluationId: string): Promise<LogTail[]> {
    const latest = new Map<string, LogTail>();
    for (const t of this.puts) if (t.evaluationId === evaluationId) latest.set(t.segment, t);
    return [...latest.values()].sort((a, b) => a.benchmarkIndex - b.benchmarkIndex);
  }

  /** The lines of the newest put. */
  last(): string[] | undefined {
    return this.puts.at(-1)?.lines;
  }
}
