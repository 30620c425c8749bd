import { randomUUID } from 'node:crypto';
import { NotFoundError } from '../errors.js';
import type { LogTails } from '../extension-points/store.js';
import { tailFile } from '../files/tail-file.js';
import type { Logger } from '../logging.js';
import type { Evaluation, EvaluationLogs } from '../types.js';
import { LogMirror, type LogMirrorLimits } from './log-mirror.js';
import type { Workspace } from './workspace.js';

export interface BenchmarkLogsDeps {
  workspace: Workspace;
  /** The store's log tails, when its replicas do not share a disk (see EvaluationStore.logTails). */
  tails?: LogTails;
  logger: Logger;
  limits?: Partial<LogMirrorLimits>;
}

/** What the benchmark runner holds while an attempt runs: ends the attempt's mirror, if any. */
export interface AttemptLog {
  close(): Promise<void>;
}

const NO_MIRROR: AttemptLog = { close: () => Promise.resolve() };

/**
 * The benchmarks' execution logs as clients read them. Each benchmark's log file is on the disk of
 * the replica that ran it; on a store with log tails, every run of an attempt is also mirrored
 * there (a bounded tail, a few seconds behind), and reads come from the store, so any replica
 * answers with every attempt, wherever it ran.
 */
export class BenchmarkLogs {
  /** The mirrors of attempts running in this process, by evaluation id. */
  private readonly running = new Map<string, Set<LogMirror>>();

  constructor(private readonly deps: BenchmarkLogsDeps) {}

  /** Starts mirroring one run of an attempt (a no-op without log tails). */
  async attempt(e: Evaluation, index: number, attempt: number): Promise<AttemptLog> {
    const { tails, workspace, logger, limits } = this.deps;
    if (!tails) return NO_MIRROR;
    const mirror = await LogMirror.start({
      tails,
      file: workspace.logFile(e.id, index, e.benchmarks[index]!.benchmark_id),
      segment: { evaluationId: e.id, benchmarkIndex: index, attempt, segment: randomUUID() },
      ...(limits ? { limits } : {}),
      logger,
    });
    const set = this.running.get(e.id) ?? new Set();
    set.add(mirror);
    this.running.set(e.id, set);
    return {
      close: async () => {
        await mirror.stop();
        set.delete(mirror);
        if (set.size === 0 && this.running.get(e.id) === set) this.running.delete(e.id);
      },
    };
  }

  /** The last `tail` lines of each selected benchmark's log (every attempt, oldest first). */
  async read(e: Evaluation, options: { benchmark?: string; tail?: number } = {}): Promise<EvaluationLogs> {
    const tail = options.tail ?? 200;
    const selected = e.benchmarks
      .map((b, i) => ({ b, i }))
      .filter(({ b }) => !options.benchmark || b.benchmark_id === options.benchmark);
    if (options.benchmark && selected.length === 0) {
      throw new NotFoundError(
        'Benchmark',
        options.benchmark,
        `Benchmarks of this evaluation: ${e.benchmarks.map((b) => b.benchmark_id).join(', ')}.`,
      );
    }
    const stored = await this.stored(e.id);
    return {
      benchmarks: await Promise.all(
        selected.map(async ({ b, i }) => {
          const fromStore = stored?.get(i);
          return {
            benchmark_id: b.benchmark_id,
            provider_id: b.provider_id,
            lines: fromStore
              ? fromStore.slice(-tail)
              : await tailFile(this.deps.workspace.logFile(e.id, i, b.benchmark_id), tail),
          };
        }),
      ),
    };
  }

  /** The store's lines by benchmark index (this process's running attempts written first). */
  private async stored(evaluationId: string): Promise<Map<number, string[]> | undefined> {
    if (!this.deps.tails) return undefined;
    await Promise.all([...(this.running.get(evaluationId) ?? [])].map((m) => m.flush()));
    const byIndex = new Map<number, string[]>();
    for (const t of await this.deps.tails.list(evaluationId)) {
      const lines = byIndex.get(t.benchmarkIndex) ?? [];
      lines.push(...t.lines);
      byIndex.set(t.benchmarkIndex, lines);
    }
    return byIndex;
  }
}
