import { stat } from 'node:fs/promises';
import { describeError, isEvalHubError } from '../errors.js';
import type { ExecAbortReason, Runtime } from '../extension-points/runtime.js';
import type { TrackingOp } from '../extension-points/store.js';
import type { GatewayRoute, ModelGateway } from '../gateway/model-gateway.js';
import type { Logger } from '../logging.js';
import type { BenchmarkRun } from '../types.js';
import { releaseRoute, routeBenchmark } from './benchmark-gateway.js';
import type { AttemptLog, BenchmarkLogs } from './benchmark-logs.js';
import { benchmarkTask } from './benchmark-task.js';
import type { EvaluationTracking } from './evaluation-tracking.js';
import { now, type AbortReason, type LiveEvaluation, type LiveEvaluations } from './live-evaluations.js';
import type { ModelResolver } from './model-resolver.js';
import type { ProviderRegistry } from './provider-registry.js';
import { artifactInfo, createRunContext, type ManagedRunContext } from './run-context.js';
import { benchmarkBatch } from './tracking-data.js';
import type { Workspace } from './workspace.js';

export interface BenchmarkRunnerDeps {
  providers: ProviderRegistry;
  runtime: Runtime;
  models: ModelResolver;
  workspace: Workspace;
  logs: BenchmarkLogs;
  live: LiveEvaluations;
  tracking: EvaluationTracking;
  logger: Logger;
  defaultTimeoutSeconds: number;
  /** When set, benchmarks of providers that use it are routed through the model gateway. */
  gateway?: ModelGateway;
}

/**
 * Runs one attempt of one benchmark through its provider: its own timeout and abort signal, a
 * private work folder, progress/log/artifact events, and the outcome recorded on the benchmark
 * (completed, failed with a reason, cancelled, or pending again when the hub shuts down).
 */
export class BenchmarkRunner {
  constructor(private readonly deps: BenchmarkRunnerDeps) {}

  async run(live: LiveEvaluation, index: number): Promise<void> {
    const { live: state, workspace } = this.deps;
    const e = live.evaluation;
    const b = e.benchmarks[index]!;
    const provider = this.deps.providers.get(b.provider_id)!;
    const task = benchmarkTask(e, index, this.deps.models, this.deps.defaultTimeoutSeconds);
    const attemptsBefore = b.attempts ?? 0;
    const paths = workspace.benchmark(e.id, index, b.benchmark_id, attemptsBefore + 1);
    const log = this.deps.logger.child({ evaluation_id: e.id, benchmark_id: b.benchmark_id });

    // One controller per benchmark, aborted by the evaluation's (cancel, shutdown) or by the timeout.
    // (Not AbortSignal.any: on Node 20 it keeps every combined signal alive.)
    const benchmarkAbort = new AbortController();
    const signal = benchmarkAbort.signal;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      benchmarkAbort.abort('timeout' satisfies ExecAbortReason);
    }, task.timeoutMs);
    timer.unref();
    const onEvaluationAbort = (): void => benchmarkAbort.abort(live.abort.signal.reason);
    if (live.abort.signal.aborted) onEvaluationAbort();
    else live.abort.signal.addEventListener('abort', onEvaluationAbort, { once: true });
    const artifacts: TrackingOp[] = [];

    state.setBenchmark(live, index, {
      status: 'running',
      started_at: now(),
      attempts: attemptsBefore + 1,
      progress: { fraction: 0 },
    });
    delete b.error;
    delete b.finished_at;
    await state.persist(live);
    const t0 = performance.now();
    let ctx: ManagedRunContext | undefined;
    let route: GatewayRoute | undefined;
    let attemptLog: AttemptLog | undefined;
    try {
      attemptLog = await this.deps.logs.attempt(e, index, attemptsBefore + 1);
      route = await routeBenchmark(this.deps.gateway, provider, e, index);
      // the gateway adds the key itself: the provider (and its engine) never gets it
      if (route) delete task.modelApiKey;
      ctx = await createRunContext({
        ...(route ? { gateway: { baseUrl: route.baseUrl, concurrency: route.concurrency } } : {}),
        runtime: this.deps.runtime,
        signal,
        workDir: paths.workDir,
        artifactDir: paths.artifactDir,
        artifactPrefix: b.benchmark_id,
        logFile: paths.logFile,
        labels: {
          evaluationId: e.id,
          benchmarkIndex: index,
          attempt: attemptsBefore + 1,
          benchmarkId: b.benchmark_id,
          providerId: b.provider_id,
        },
        timeoutSeconds: task.timeoutMs / 1000,
        ...(b.resources ? { resources: b.resources } : {}),
        logger: log,
        onProgress: (progress) => {
          b.progress = { ...progress, fraction: Math.min(1, Math.max(0, progress.fraction)) };
          state.publish(e.id, {
            type: 'progress',
            benchmark_index: index,
            benchmark_id: b.benchmark_id,
            progress: b.progress,
          });
        },
        onLog: (line) =>
          state.publish(e.id, { type: 'log', benchmark_index: index, benchmark_id: b.benchmark_id, line }),
        onArtifact: (a) => {
          b.artifacts = [...(b.artifacts ?? []).filter((x) => x.name !== a.name), artifactInfo(a)];
          artifacts.push({
            op: 'artifact',
            artifact: {
              name: a.name,
              path: a.path,
              ...(a.contentType ? { contentType: a.contentType } : {}),
            },
          });
        },
      });
      if (signal.aborted) throw new Error('aborted before start');
      const outcome = await provider.run(task, ctx);
      if (signal.aborted) throw new Error('aborted');
      const metrics: Record<string, number | string> = {};
      for (const [k, v] of Object.entries(outcome.metrics)) {
        if (typeof v !== 'number')
          throw new Error(`Provider returned a non-numeric value for metric '${k}'.`);
        metrics[k] = Number.isFinite(v) ? v : String(v);
      }
      state.setBenchmark(live, index, {
        status: 'completed',
        finished_at: now(),
        progress: { ...b.progress, fraction: 1 },
        results: {
          metrics,
          ...(outcome.primaryMetric ? { primary_metric: outcome.primaryMetric } : {}),
          ...(outcome.samples !== undefined ? { samples: outcome.samples } : {}),
          duration_seconds: (performance.now() - t0) / 1000,
          ...(outcome.params ? { params: outcome.params } : {}),
        },
      });
    } catch (err) {
      const reason = live.abort.signal.aborted
        ? (live.abort.signal.reason as AbortReason)
        : timedOut
          ? 'timeout'
          : undefined;
      if (reason === 'shutdown') {
        // An interruption by a graceful stop is not a failed attempt: it does not count against max_attempts.
        this.deps.live.setBenchmark(live, index, {
          status: 'pending',
          progress: { fraction: 0 },
          attempts: attemptsBefore,
        });
        log.info('benchmark interrupted by shutdown; it runs again after restart');
        return;
      }
      state.setBenchmark(live, index, failure(reason, err, task.timeoutMs));
      if (reason === undefined) log.warn({ err: describeError(err) }, 'benchmark failed');
    } finally {
      if (route) releaseRoute(route, b);
      clearTimeout(timer);
      live.abort.signal.removeEventListener('abort', onEvaluationAbort);
      await ctx?.flushLog();
      await attemptLog?.close();
    }
    await this.attachLog(b, paths.logFile, ctx, artifacts);
    await state.persist(live);
    this.deps.tracking.track(e.id, [{ op: 'log', batch: benchmarkBatch(b, Date.now(), e) }, ...artifacts]);
  }

  /** The execution log becomes an artifact once, unless the provider attached it itself. */
  private async attachLog(
    b: BenchmarkRun,
    logFile: string,
    ctx: ManagedRunContext | undefined,
    artifacts: TrackingOp[],
  ): Promise<void> {
    const name = `${b.benchmark_id}/execution.log`;
    if (!ctx?.logUsed() || artifacts.some((a) => a.op === 'artifact' && a.artifact.name === name)) return;
    const size = await stat(logFile)
      .then((s) => s.size)
      .catch(() => 0);
    if (size === 0) return;
    artifacts.push({ op: 'artifact', artifact: { name, path: logFile, contentType: 'text/plain' } });
    b.artifacts = [...(b.artifacts ?? []), artifactInfo({ name, size, contentType: 'text/plain' })];
  }
}

/** The benchmark's state after a run that did not complete (cancel, timeout or a failure). */
function failure(
  reason: 'cancel' | 'timeout' | 'lease_lost' | undefined,
  err: unknown,
  timeoutMs: number,
): Partial<BenchmarkRun> {
  if (reason === 'cancel')
    return {
      status: 'cancelled',
      finished_at: now(),
      error: { code: 'cancelled', message: 'Cancelled while running.' },
    };
  if (reason === 'timeout')
    return {
      status: 'failed',
      finished_at: now(),
      error: {
        code: 'benchmark_timeout',
        message: `Timed out after ${timeoutMs / 1000} s; raise timeout_seconds if it needs longer.`,
      },
    };
  return {
    status: 'failed',
    finished_at: now(),
    error: { code: isEvalHubError(err) ? err.code : 'benchmark_failed', message: describeError(err) },
  };
}
