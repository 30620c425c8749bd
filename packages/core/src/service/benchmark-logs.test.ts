import { appendFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotFoundError } from '../errors.js';
import { silentLogger } from '../logging.js';
import { sampleEvaluation } from '../testing/conformance.js';
import { MemoryLogTails } from '../testing/memory-log-tails.js';
import type { Evaluation } from '../types.js';
import { BenchmarkLogs } from './benchmark-logs.js';
import { Workspace } from './workspace.js';

let dir: string;
let workspace: Workspace;
let e: Evaluation;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'benchmark-logs-'));
  workspace = new Workspace(dir);
  const b = sampleEvaluation().benchmarks[0]!;
  e = sampleEvaluation({
    benchmarks: [
      { ...b, benchmark_id: 'arc' },
      { ...b, benchmark_id: 'gsm' },
    ],
  });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeLog(index: number, lines: string[]): Promise<void> {
  const file = workspace.logFile(e.id, index, e.benchmarks[index]!.benchmark_id);
  await mkdir(dirname(file), { recursive: true });
  await appendFile(file, lines.map((l) => `${l}\n`).join(''));
}

describe('BenchmarkLogs', () => {
  it('reads the log files when the store keeps no tails', async () => {
    const logs = new BenchmarkLogs({ workspace, logger: silentLogger() });
    await writeLog(0, ['a', 'b', 'c']);
    const attempt = await logs.attempt(e, 0, 1); // nothing to mirror to
    await attempt.close();
    expect(await logs.read(e, { tail: 2 })).toEqual({
      benchmarks: [
        { benchmark_id: 'arc', provider_id: 'conformance', lines: ['b', 'c'] },
        { benchmark_id: 'gsm', provider_id: 'conformance', lines: [] },
      ],
    });
  });

  it('answers from the store: other replicas’ attempts, then this one’s running attempt as of now', async () => {
    const tails = new MemoryLogTails();
    const logs = new BenchmarkLogs({
      workspace,
      tails,
      logger: silentLogger(),
      // No write while running: what the read shows of the running attempt, its flush stored.
      limits: { writeEveryMs: 3_600_000 },
    });
    // Attempt 1 ran on a replica that is gone; its lines are only in the store.
    await tails.put({
      evaluationId: e.id,
      benchmarkIndex: 0,
      attempt: 1,
      segment: 'elsewhere',
      lines: ['x1'],
    });
    await writeLog(0, ['written before this run']);
    const attempt = await logs.attempt(e, 0, 2);
    await writeLog(0, ['x2', 'y2']);
    expect((await logs.read(e, { benchmark: 'arc' })).benchmarks).toEqual([
      { benchmark_id: 'arc', provider_id: 'conformance', lines: ['x1', 'x2', 'y2'] },
    ]);
    await writeLog(0, ['z2']);
    await attempt.close();
    expect((await logs.read(e, { tail: 2 })).benchmarks.map((b) => b.lines)).toEqual([['y2', 'z2'], []]);
    // The segment's final tail is in the store for every other replica.
    expect((await tails.list(e.id)).map((t) => t.lines)).toEqual([['x1'], ['x2', 'y2', 'z2']]);
  });

  it('names the benchmarks it has when asked for another', async () => {
    const logs = new BenchmarkLogs({ workspace, logger: silentLogger() });
    const err = await logs.read(e, { benchmark: 'mmlu' }).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as Error).message).toContain('arc, gsm');
  });
});
