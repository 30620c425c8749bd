/**
 * The test harness shared by the runner, scheduler and replica tests beside this file: a provider
 * whose runs the test ends, a tracking that records what it is asked to journal, a BenchmarkRun
 * builder, temporary work folders, and the BenchmarkRunner / EvaluationRunner wired the way the
 * service wires them around the store, live evaluations and tracking each test brings.
 * Not part of the build (packages/core/tsconfig.json excludes `*.test-support.ts`).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  BenchmarkOutcome,
  BenchmarkTask,
  EvaluationProvider,
  RunContext,
} from '../extension-points/provider.js';
import type { EvaluationStore, TrackingOp } from '../extension-points/store.js';
import type { Logger } from '../logging.js';
import { LocalRuntime } from '../runtime/local-runtime.js';
import { RecordingTracker } from '../testing/recording-tracker.js';
import { ScriptedProvider } from '../testing/scripted-provider.js';
import type { BenchmarkRun } from '../types.js';
import { BenchmarkLogs } from './benchmark-logs.js';
import { BenchmarkRunner } from './benchmark-runner.js';
import { EvaluationRunner } from './evaluation-runner.js';
import { EvaluationTracking } from './evaluation-tracking.js';
import type { EventHub } from './event-hub.js';
import type { DocumentStore, LiveEvaluations } from './live-evaluations.js';
import { ModelResolver } from './model-resolver.js';
import { ProviderRegistry } from './provider-registry.js';
import { TrackingOutbox } from './tracking-outbox.js';
import { Workspace } from './workspace.js';

/** One benchmark run the HeldProvider holds: ended by the test with an outcome, or an Error to fail it. */
export interface HeldRun {
  task: BenchmarkTask;
  ctx: RunContext;
  end: (outcome: BenchmarkOutcome | Error) => void;
}

/**
 * A provider (`held`) whose benchmarks run until the test ends them, or until their signal aborts
 * (then the run rejects, as a provider's aborted command does). `runs` are in the order they started.
 */
export class HeldProvider implements EvaluationProvider {
  readonly runs: HeldRun[] = [];
  private waiters: (() => void)[] = [];

  describe() {
    const b = (id: string) => ({ id, name: id, category: 'testing', metrics: ['score'] });
    return { id: 'held', name: 'Held provider', benchmarks: ['held', 'h', 'h1', 'h2', 'h3'].map(b) };
  }

  /** Resolves with the runs once `n` of them have started. */
  async started(n: number): Promise<HeldRun[]> {
    while (this.runs.length < n) await new Promise<void>((ok) => this.waiters.push(ok));
    return this.runs;
  }

  run(task: BenchmarkTask, ctx: RunContext): Promise<BenchmarkOutcome> {
    return new Promise((ok, fail) => {
      const onAbort = () => fail(new Error(`aborted (${String(ctx.signal.reason)})`));
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      this.runs.push({ task, ctx, end: (o) => (o instanceof Error ? fail(o) : ok(o)) });
      for (const w of this.waiters.splice(0)) w();
    });
  }
}

/** The tracking the runner is given, keeping what it is asked to journal. */
export class RecordedTracking extends EvaluationTracking {
  readonly ops: TrackingOp[] = [];

  /** Over an outbox to a RecordingTracker on `store`. */
  static over(store: EvaluationStore, logger: Logger, enabled = true): RecordedTracking {
    return new RecordedTracking(new TrackingOutbox(store, new RecordingTracker(), logger), enabled, logger);
  }

  override track(_id: string, ops: TrackingOp[]): void {
    this.ops.push(...ops);
  }
}

/** A pending benchmark run, never attempted, as submitted. */
export const bench = (benchmark_id: string, provider_id = 'scripted', patch: Partial<BenchmarkRun> = {}) =>
  ({
    benchmark_id,
    provider_id,
    config: {},
    status: 'pending',
    progress: { fraction: 0 },
    attempts: 0,
    ...patch,
  }) satisfies BenchmarkRun;

const dirs: string[] = [];

/** A fresh temporary folder, removed by `removeTempDirs`. */
export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** Removes the folders `tempDir` made (for a test file's afterEach). */
export async function removeTempDirs(): Promise<void> {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

/** The installed providers: the ScriptedProvider (`scripted`) and a HeldProvider (`held`). */
export function testProviders() {
  const scripted = new ScriptedProvider();
  const held = new HeldProvider();
  const providers = new ProviderRegistry();
  providers.add(scripted);
  providers.add(held);
  return { scripted, held, providers };
}

export interface RunnerPartsOptions {
  /** The temporary work folder's name prefix. */
  prefix: string;
  providers: ProviderRegistry;
  live: LiveEvaluations;
  tracking: EvaluationTracking;
  logger: Logger;
}

/** A BenchmarkRunner over the local runtime, the providers and a workspace in a fresh temporary folder. */
export async function benchmarkRunner(o: RunnerPartsOptions) {
  const { providers, live, tracking, logger } = o;
  const workspace = new Workspace(await tempDir(o.prefix));
  const logs = new BenchmarkLogs({ workspace, logger });
  const runtime = new LocalRuntime();
  const models = new ModelResolver({});
  const defaultTimeoutSeconds = 60;
  const benchmarks = new BenchmarkRunner({
    providers,
    runtime,
    models,
    workspace,
    logs,
    live,
    tracking,
    logger,
    defaultTimeoutSeconds,
  });
  return { workspace, benchmarks };
}

/** An EvaluationRunner around a `benchmarkRunner`, running `benchmarkConcurrency` (default 1) at once. */
export async function evaluationRunner(
  o: RunnerPartsOptions & { store: DocumentStore; events: EventHub; benchmarkConcurrency?: number },
) {
  const { store, live, events, tracking, logger } = o;
  const { workspace, benchmarks } = await benchmarkRunner(o);
  const benchmarkConcurrency = o.benchmarkConcurrency ?? 1;
  const runner = new EvaluationRunner({
    store,
    live,
    events,
    workspace,
    tracking,
    logger,
    benchmarkConcurrency,
    benchmarks,
  });
  return { workspace, benchmarks, runner };
}
