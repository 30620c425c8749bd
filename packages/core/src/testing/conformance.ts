import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchmarkOutcome, BenchmarkTask, EvaluationProvider } from '../extension-points/provider.js';
import type { Runtime } from '../extension-points/runtime.js';
import type { Tracker } from '../extension-points/tracker.js';
import { silentLogger } from '../logging.js';
import { LocalRuntime } from '../runtime/local-runtime.js';
import { createRunContext } from '../service/run-context.js';
import type { BenchmarkRun, Evaluation, ResolvedModel } from '../types.js';

export interface ConformanceCheck {
  name: string;
  ok: boolean;
  message?: string;
}

export class ConformanceError extends Error {
  constructor(
    readonly subject: string,
    readonly checks: ConformanceCheck[],
  ) {
    super(
      `${subject} does not conform:\n${checks
        .filter((c) => !c.ok)
        .map((c) => `  ✗ ${c.name}${c.message ? `: ${c.message}` : ''}`)
        .join('\n')}`,
    );
    this.name = 'ConformanceError';
  }
}

const KEY = /^[A-Za-z0-9_\-./ ]+$/;

class Checks {
  readonly list: ConformanceCheck[] = [];
  async check(name: string, fn: () => unknown): Promise<void> {
    try {
      const r = await fn();
      this.list.push(r === false ? { name, ok: false } : { name, ok: true });
    } catch (err) {
      this.list.push({ name, ok: false, message: (err as Error).message });
    }
  }
  done(subject: string): ConformanceCheck[] {
    if (this.list.some((c) => !c.ok)) throw new ConformanceError(subject, this.list);
    return this.list;
  }
}

function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(message);
}

export interface VerifyProviderOptions {
  /** A benchmark to actually run (omit to check only the descriptor and validation). */
  run?: { benchmark_id: string; config?: Record<string, unknown>; model: ResolvedModel; timeoutMs?: number };
  runtime?: Runtime;
}

/**
 * The provider conformance kit: checks the descriptor (ids, metrics, primary metric), request-time
 * validation, and — with `run` — a real run through core's RunContext and Runtime: metric names and
 * values a tracker accepts, and prompt refusal of an already-cancelled run. Throws ConformanceError
 * listing every failed check.
 */
export async function verifyProvider(
  provider: EvaluationProvider,
  options: VerifyProviderOptions = {},
): Promise<ConformanceCheck[]> {
  const c = new Checks();
  const d = provider.describe();
  await c.check('provider id uses letters, digits, _ - .', () =>
    assert(/^[A-Za-z0-9_.-]+$/.test(d.id), `got '${d.id}'`),
  );
  await c.check('provider has a name', () =>
    assert(typeof d.name === 'string' && d.name.length > 0, 'name is empty'),
  );
  await c.check('describe() is stable', () =>
    assert(JSON.stringify(provider.describe()) === JSON.stringify(d), 'two calls differ'),
  );
  await c.check('at least one benchmark', () => assert(d.benchmarks.length > 0, 'no benchmarks'));
  await c.check('benchmark ids are unique', () =>
    assert(new Set(d.benchmarks.map((b) => b.id)).size === d.benchmarks.length, 'duplicate ids'),
  );
  for (const b of d.benchmarks) {
    await c.check(`benchmark '${b.id}' is well formed`, () => {
      assert(/^[A-Za-z0-9_.:-]+$/.test(b.id), 'id must use letters, digits, _ - . :');
      assert(b.name && b.category, 'name and category are required');
      assert(Array.isArray(b.metrics) && b.metrics.length > 0, 'metrics must list at least one metric');
      assert(
        b.metrics.every((m) => KEY.test(m)),
        'metric names must be valid tracker keys',
      );
      assert(
        !b.primary_metric || b.metrics.includes(b.primary_metric),
        `primary_metric '${b.primary_metric}' is not in metrics`,
      );
    });
  }
  const model: ResolvedModel = options.run?.model ?? {
    server: 'vllm',
    name: 'conformance',
    url: 'http://127.0.0.1:9/v1',
    configuration: {},
  };
  const task = (benchmark_id: string, config: Record<string, unknown> = {}): BenchmarkTask => ({
    evaluationId: randomUUID(),
    index: 0,
    benchmark: { benchmark_id, provider_id: d.id, config },
    model,
    timeoutMs: options.run?.timeoutMs ?? 600_000,
  });
  if (provider.validate) {
    await c.check('validate() returns a list of {pointer, message}', async () => {
      const first = d.benchmarks[0]!;
      const issues = await provider.validate!(
        task(first.id, options.run?.benchmark_id === first.id ? options.run.config : {}),
      );
      assert(Array.isArray(issues), 'not an array');
      for (const i of issues)
        assert(
          typeof i.pointer === 'string' && i.pointer.startsWith('/') && typeof i.message === 'string',
          'bad issue shape',
        );
    });
  }
  if (options.run) {
    const run = options.run;
    const dir = await mkdtemp(join(tmpdir(), 'evalhub-conformance-'));
    const runtime = options.runtime ?? new LocalRuntime();
    const ctxFor = (signal: AbortSignal, sub: string) =>
      createRunContext({
        runtime,
        signal,
        workDir: join(dir, sub, 'work'),
        artifactDir: join(dir, sub, 'artifacts'),
        artifactPrefix: run.benchmark_id,
        logFile: join(dir, sub, 'run.log'),
        logger: silentLogger(),
      });
    try {
      if (provider.validate) {
        await c.check('the sample run passes validation', async () => {
          const issues = await provider.validate!(task(run.benchmark_id, run.config));
          assert(issues.length === 0, issues.map((i) => `${i.pointer}: ${i.message}`).join('; '));
        });
      }
      let outcome: BenchmarkOutcome | undefined;
      await c.check('run() completes', async () => {
        outcome = await provider.run(
          task(run.benchmark_id, run.config),
          await ctxFor(new AbortController().signal, 'run'),
        );
      });
      if (outcome) {
        const o = outcome;
        await c.check('metrics are numbers with tracker-valid names', () => {
          const entries = Object.entries(o.metrics);
          assert(entries.length > 0, 'no metrics');
          for (const [k, v] of entries) {
            assert(KEY.test(k), `metric name '${k}' is not a valid tracker key`);
            assert(typeof v === 'number', `metric '${k}' is not a number`);
          }
        });
        await c.check('primaryMetric is one of the metrics', () =>
          assert(!o.primaryMetric || o.primaryMetric in o.metrics, `'${o.primaryMetric}' missing`),
        );
      }
      await c.check('run() rejects when already cancelled', async () => {
        const ac = new AbortController();
        ac.abort('cancel');
        let rejected = false;
        try {
          await provider.run(task(run.benchmark_id, run.config), await ctxFor(ac.signal, 'cancelled'));
        } catch {
          rejected = true;
        }
        assert(rejected, 'a cancelled run must not complete');
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  return c.done(`Provider '${d.id}'`);
}

/** A completed benchmark run (the one of sampleEvaluation), with the overrides given. */
export function sampleBenchmark(overrides: Partial<BenchmarkRun> = {}): BenchmarkRun {
  return {
    benchmark_id: 'sample',
    provider_id: 'conformance',
    config: { limit: 2 },
    status: 'completed',
    progress: { fraction: 1 },
    results: { metrics: { acc: 0.5 } },
    ...overrides,
  };
}

/** A minimal finished evaluation for tracker tests. */
export function sampleEvaluation(overrides: Partial<Evaluation> = {}): Evaluation {
  const t = new Date().toISOString();
  return {
    id: randomUUID(),
    status: 'running',
    model: {
      server: 'vllm',
      name: 'conformance-model',
      url: 'http://127.0.0.1:9/v1',
      configuration: { temperature: 0 },
    },
    experiment: { name: 'conformance', tags: { suite: 'conformance' } },
    benchmarks: [sampleBenchmark()],
    tracking: { tracker: 'conformance', state: 'pending' },
    created_at: t,
    updated_at: t,
    started_at: t,
    ...overrides,
  };
}

/**
 * The tracker conformance kit: a run's lifecycle (start, log twice, artifact, finish), idempotent
 * start by evaluation id, resume from the returned info, NaN values, and health. Runs against the
 * tracker's real backend. Throws ConformanceError listing every failed check.
 */
export async function verifyTracker(
  tracker: Tracker,
  evaluation: Evaluation = sampleEvaluation(),
): Promise<ConformanceCheck[]> {
  const c = new Checks();
  const dir = await mkdtemp(join(tmpdir(), 'evalhub-conformance-'));
  try {
    await c.check('name is set', () => assert(tracker.name.length > 0, 'empty name'));
    await c.check('health() reports a status', async () => {
      const h = await tracker.health();
      assert(['ok', 'degraded', 'down'].includes(h.status), `status '${h.status}'`);
    });
    const run = await tracker.startRun(evaluation);
    await c.check('startRun() is idempotent by evaluation id', async () => {
      // A replay, as core's outbox makes one: the attempt count grows (1 would claim a first attempt).
      const start_attempts = (evaluation.tracking.start_attempts ?? 1) + 1;
      const again = await tracker.startRun({
        ...evaluation,
        tracking: { ...evaluation.tracking, start_attempts },
      });
      assert(
        again.info.run_id === run.info.run_id,
        `${String(again.info.run_id)} != ${String(run.info.run_id)}`,
      );
    });
    const batch = {
      params: { 'sample.limit': '2' },
      metrics: { 'sample.acc': 0.5, 'sample.nan': Number.NaN },
      tags: { t: 'v' },
      timestamp: Date.now(),
    };
    await c.check('log() accepts params, metrics (incl. NaN) and tags', () => run.log(batch));
    await c.check('log() may be replayed with the same batch', () => run.log(batch));
    const file = join(dir, 'artifact.json');
    await writeFile(file, '{"ok":true}');
    await c.check('logArtifact() uploads a file', () =>
      run.logArtifact({ name: 'sample/artifact.json', path: file, contentType: 'application/json' }),
    );
    await c.check('resumeRun() reattaches to the same run', async () => {
      const resumed = await tracker.resumeRun(evaluation, run.info);
      assert(resumed.info.run_id === run.info.run_id, 'different run');
    });
    await c.check('finish() closes the run, logging the batch handed to it', () =>
      run.finish(
        { ...evaluation, status: 'completed', finished_at: new Date().toISOString() },
        { metrics: { 'evaluation.duration_seconds': 1.5 }, timestamp: Date.now() },
      ),
    );
    return c.done(`Tracker '${tracker.name}'`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
