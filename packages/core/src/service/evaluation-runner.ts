import type { TrackingOp } from '../extension-points/store.js';
import type { Logger } from '../logging.js';
import { aggregateStatus } from '../types.js';
import type { BenchmarkRunner } from './benchmark-runner.js';
import type { EventHub } from './event-hub.js';
import type { EvaluationTracking } from './evaluation-tracking.js';
import {
  now,
  type AbortReason,
  type DocumentStore,
  type LiveEvaluation,
  type LiveEvaluations,
} from './live-evaluations.js';
import { comparisonMarkdown } from '../comparison.js';
import { applyVerdict } from './verdict.js';
import type { Workspace } from './workspace.js';

export interface EvaluationRunnerDeps {
  store: DocumentStore;
  live: LiveEvaluations;
  events: EventHub;
  benchmarks: BenchmarkRunner;
  workspace: Workspace;
  tracking: EvaluationTracking;
  logger: Logger;
  benchmarkConcurrency: number;
}

/**
 * Runs one evaluation: its pending benchmarks, `benchmarkConcurrency` at a time, then closes it
 * (aggregate status, summary, final tracking) unless the hub is shutting down, in which case the
 * evaluation is stored as it is and resumed by the next start.
 */
export class EvaluationRunner {
  constructor(private readonly deps: EvaluationRunnerDeps) {}

  async run(live: LiveEvaluation): Promise<void> {
    const { live: state } = this.deps;
    const e = live.evaluation;
    const todo = e.benchmarks.map((b, i) => ({ b, i })).filter(({ b }) => b.status === 'pending');
    if (e.status === 'pending' || !e.started_at) {
      e.status = 'running';
      e.started_at ??= now();
      // The first benchmark's start persists this too; save here only when nothing will run.
      if (todo.length === 0) await state.persist(live);
      state.publish(e.id, { type: 'status', status: 'running' });
    }
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < todo.length && !live.abort.signal.aborted) {
        const { i } = todo[next++]!;
        await this.deps.benchmarks.run(live, i);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.deps.benchmarkConcurrency, todo.length) }, worker));

    // Another replica took it over: nothing more is written from here.
    if (live.abort.signal.reason === 'lease_lost') return;
    if (live.abort.signal.reason === 'shutdown') {
      await state.persist(live);
      state.delete(e.id);
      // It left this process unfinished: whoever awaits `done` goes on to the store (and its events).
      live.resolveDone(undefined);
      return;
    }
    if (live.cancelRequested) {
      for (const [i, b] of e.benchmarks.entries()) {
        if (b.status === 'pending') state.setBenchmark(live, i, { status: 'cancelled', finished_at: now() });
      }
    }
    await this.finish(live);
  }

  /**
   * Cancels an evaluation this process owns: benchmarks not started are cancelled, running ones
   * aborted (their run records them). One still waiting in the queue (`queued`, just taken out of
   * it) is closed here; a running one closes when its run ends.
   */
  async cancel(live: LiveEvaluation, queued: boolean): Promise<void> {
    const { live: state } = this.deps;
    live.cancelRequested = true;
    for (const [i, b] of live.evaluation.benchmarks.entries()) {
      if (b.status === 'pending')
        state.setBenchmark(live, i, {
          status: 'cancelled',
          finished_at: now(),
          error: { code: 'cancelled', message: 'Cancelled before it started.' },
        });
    }
    live.abort.abort('cancel' satisfies AbortReason);
    if (queued) await this.finish(live);
    else await state.persist(live);
  }

  /** Closes an evaluation whose benchmarks have all ended: stored, published, tracked, released. */
  async finish(live: LiveEvaluation): Promise<void> {
    const { live: state, events } = this.deps;
    const e = live.evaluation;
    e.status = aggregateStatus(
      e.benchmarks.map((b) => b.status),
      live.cancelRequested,
    );
    e.finished_at = now();
    e.updated_at = e.finished_at;
    const failedOnes = e.benchmarks.filter((b) => b.status === 'failed');
    if (e.status === 'failed' || e.status === 'partially_failed') {
      e.error = {
        code: e.status === 'failed' ? 'evaluation_failed' : 'benchmarks_failed',
        message: failedOnes.map((b) => `${b.benchmark_id}: ${b.error?.message ?? 'failed'}`).join('; '),
      };
    } else if (e.status === 'cancelled') e.error = { code: 'cancelled', message: 'Cancelled on request.' };
    const baseline = e.baseline?.evaluation_id
      ? await this.deps.store.getEvaluation(e.baseline.evaluation_id).catch(() => undefined)
      : undefined;
    applyVerdict(e, baseline);

    const ops: TrackingOp[] = [];
    if (this.deps.tracking.enabled) {
      const summaryPath = await this.deps.workspace.writeSummary(e);
      ops.push(
        {
          op: 'log',
          batch: {
            metrics: {
              'evaluation.duration_seconds':
                (Date.parse(e.finished_at) - Date.parse(e.started_at ?? e.created_at)) / 1000,
              'evaluation.benchmarks_completed': e.benchmarks.filter((b) => b.status === 'completed').length,
              'evaluation.benchmarks_failed': failedOnes.length,
              ...(e.score !== undefined ? { 'evaluation.score': e.score } : {}),
            },
            timestamp: Date.now(),
          },
        },
        {
          op: 'artifact',
          artifact: { name: 'summary.json', path: summaryPath, contentType: 'application/json' },
        },
      );
      if (e.baseline_comparison) {
        const path = await this.deps.workspace.writeArtifact(
          e,
          'comparison.md',
          comparisonMarkdown(e.baseline_comparison),
        );
        ops.push({ op: 'artifact', artifact: { name: 'comparison.md', path, contentType: 'text/markdown' } });
      }
      ops.push({ op: 'finish' });
    }
    await state.withLock(e.id, async () => {
      await this.deps.store.saveEvaluation(e);
      state.delete(e.id);
    });
    this.deps.logger.info({ evaluation_id: e.id, status: e.status }, 'evaluation finished');
    state.publish(e.id, { type: 'status', status: e.status });
    state.publish(e.id, { type: 'result', status: e.status, evaluation: structuredClone(e) });
    events.close(e.id);
    live.resolveDone(structuredClone(e));
    this.deps.tracking.track(e.id, ops);
  }
}
