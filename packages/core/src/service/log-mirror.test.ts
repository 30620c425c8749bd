import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../logging.js';
import { MemoryLogTails } from '../testing/memory-log-tails.js';
import { LogMirror, type LogMirrorLimits } from './log-mirror.js';

const segment = { evaluationId: 'e1', benchmarkIndex: 0, attempt: 2, segment: 's1' };
let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'log-mirror-'));
  file = join(dir, 'bench.log');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A mirror of `file` into fresh tails; by default it writes only when flushed or stopped. */
async function mirrorOf(
  limits: Partial<LogMirrorLimits> = { writeEveryMs: 60_000 },
): Promise<{ tails: MemoryLogTails; mirror: LogMirror }> {
  const tails = new MemoryLogTails();
  const mirror = await LogMirror.start({ tails, file, segment, limits, logger: silentLogger() });
  return { tails, mirror };
}

describe('LogMirror', () => {
  it('stores only what this run appends to the file, and its final tail on stop', async () => {
    await writeFile(file, 'attempt 1 line\n');
    const { tails, mirror } = await mirrorOf();
    await appendFile(file, 'first\r\nsecond\n\nthird');
    await mirror.stop();
    expect(tails.puts).toEqual([{ ...segment, lines: ['first', 'second', 'third'] }]);
    // Stopping again writes nothing more.
    await mirror.stop();
    expect(tails.puts).toHaveLength(1);
  });

  it('writes while the attempt runs, at most once per interval, and not when nothing changed', async () => {
    const { tails, mirror } = await mirrorOf({ checkMs: 5, writeEveryMs: 40 });
    await appendFile(file, 'one\n');
    await vi.waitFor(() => expect(tails.last()).toEqual(['one']), { timeout: 10_000 });
    const firstWrite = Date.now();
    await appendFile(file, 'two\n');
    await vi.waitFor(() => expect(tails.last()).toEqual(['one', 'two']), { timeout: 10_000 });
    expect(Date.now() - firstWrite).toBeGreaterThanOrEqual(30);
    const writes = tails.puts.length;
    await mirror.stop(); // unchanged since the last write
    expect(tails.puts).toHaveLength(writes);
  });

  it('keeps the newest lines within the line and byte bounds, never half a line', async () => {
    const { tails, mirror } = await mirrorOf({ writeEveryMs: 60_000, maxLines: 3, maxBytes: 20 });
    await appendFile(file, ['line-1', 'line-2', 'line-3', 'line-4', 'line-5'].join('\n') + '\n');
    await mirror.flush();
    // 20 bytes from the end start inside line-3: it is dropped, not stored cut.
    expect(tails.last()).toEqual(['line-4', 'line-5']);
    await appendFile(file, 'a\nb\nc\n');
    await mirror.stop();
    expect(tails.last()).toEqual(['a', 'b', 'c']);
  });

  it('retries a write the store refused on the next flush', async () => {
    const { tails, mirror } = await mirrorOf();
    tails.failNext = 1;
    await appendFile(file, 'kept\n');
    await mirror.flush();
    expect(tails.puts).toEqual([]);
    await mirror.stop();
    expect(tails.last()).toEqual(['kept']);
  });
});
