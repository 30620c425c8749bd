import { setTimeout as delay } from 'node:timers/promises';
import { BenchmarkFailedError } from '../errors.js';
import type {
  BenchmarkOutcome,
  BenchmarkTask,
  EvaluationProvider,
  ProviderDescriptor,
  RunContext,
  ValidationIssue,
} from '../extension-points/provider.js';

/** What a scripted benchmark does, chosen by its `config`. */
export interface ScriptedBehaviour {
  /** Metrics to return (default `{score: 1}`). */
  metrics?: Record<string, number>;
  /** Fail with this message. */
  fail?: string;
  /** Take this long (ms), or until aborted. */
  durationMs?: number;
  /** Run a real command through the runtime (e.g. `sleep 30`), honouring cancellation. */
  command?: [string, ...string[]];
  /** Report this many progress steps. */
  steps?: number;
}

/**
 * A provider whose benchmarks do what their `config` says: for testing hubs, trackers and servers
 * without an evaluation engine. Real code, not a mock: it goes through the same RunContext and
 * Runtime as every provider. Benchmarks: `noop`, `ok`, `fail`, `slow`, `command`, each taking
 * ScriptedBehaviour fields in `config`.
 */
export class ScriptedProvider implements EvaluationProvider {
  readonly runs: BenchmarkTask[] = [];

  constructor(private readonly id = 'scripted') {}

  describe(): ProviderDescriptor {
    const b = (id: string, description: string) => ({
      id,
      name: id,
      description,
      category: 'testing',
      metrics: ['score'],
      primary_metric: 'score',
    });
    return {
      id: this.id,
      name: 'Scripted provider',
      description: 'Benchmarks that do what their config says (testing aid).',
      version: '1.0.0',
      benchmarks: [
        b('noop', 'Returns config.metrics (default score=1) at once; writes no artifact or log.'),
        b('ok', 'Returns config.metrics (default score=1) and a result.json artifact.'),
        b('ok2', 'Same as ok; a second id for multi-benchmark requests.'),
        b('fail', 'Fails with config.fail.'),
        b('slow', 'Waits config.durationMs, then returns config.metrics.'),
        b('command', 'Runs config.command through the runtime.'),
      ],
    };
  }

  validate(task: BenchmarkTask): ValidationIssue[] {
    const c = task.benchmark.config as ScriptedBehaviour & Record<string, unknown>;
    const issues: ValidationIssue[] = [];
    if (c.durationMs !== undefined && (typeof c.durationMs !== 'number' || c.durationMs < 0)) {
      issues.push({ pointer: '/durationMs', message: 'Must be a number of milliseconds >= 0.' });
    }
    if (c.reject !== undefined) issues.push({ pointer: '/reject', message: String(c.reject) });
    return issues;
  }

  async run(task: BenchmarkTask, ctx: RunContext): Promise<BenchmarkOutcome> {
    this.runs.push(task);
    ctx.signal.throwIfAborted();
    const c = task.benchmark.config as ScriptedBehaviour;
    if (task.benchmark.benchmark_id === 'noop')
      return { metrics: c.metrics ?? { score: 1 }, primaryMetric: 'score' };
    const steps = c.steps ?? 0;
    for (let i = 1; i <= steps; i++) {
      ctx.progress({ fraction: i / steps, completed: i, total: steps });
      ctx.log(`step ${i}/${steps}`);
    }
    if (c.durationMs) await delay(c.durationMs, undefined, { signal: ctx.signal });
    if (c.command) {
      const [command, ...args] = c.command;
      const result = await ctx.exec({ command, args });
      if (result.exitCode !== 0)
        throw new BenchmarkFailedError(
          `'${c.command.join(' ')}' exited with ${result.exitCode ?? result.signal}`,
        );
    }
    if (task.benchmark.benchmark_id === 'fail' || c.fail)
      throw new BenchmarkFailedError(c.fail ?? 'scripted failure');
    await ctx.artifact({
      name: 'result.json',
      content: JSON.stringify(c.metrics ?? { score: 1 }),
      contentType: 'application/json',
    });
    return {
      metrics: c.metrics ?? { score: 1 },
      primaryMetric: 'score',
      samples: 1,
      params: { version: '1' },
    };
  }
}
