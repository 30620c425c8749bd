import { randomUUID } from 'node:crypto';
import { mkdir, open, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inject, injectable } from 'tsyringe';
import { assertValid } from '../contract/validator.js';
import {
  ConflictError,
  describeError,
  isEvalHubError,
  NotFoundError,
  QueueFullError,
  ValidationError,
  type ErrorDetail,
} from '../errors.js';
import type { BenchmarkTask } from '../extension-points/provider.js';
import { RuntimeToken, type Runtime } from '../extension-points/runtime.js';
import {
  StoreToken,
  type EvaluationPage,
  type EvaluationQuery,
  type EvaluationStore,
  type TrackingOp,
} from '../extension-points/store.js';
import { TrackerToken, type Tracker } from '../extension-points/tracker.js';
import type { Logger } from '../logging.js';
import {
  aggregateStatus,
  isTerminalEvaluation,
  type BenchmarkRun,
  type BenchmarkSpec,
  type Evaluation,
  type EvaluationEvent,
  type EvaluationLogs,
  type EvaluationRequest,
  type TrackingInfo,
} from '../types.js';
import { CollectionCatalog } from './collection-catalog.js';
import { EventHub } from './event-hub.js';
import { ModelResolver } from './model-resolver.js';
import { closestNames, ProviderRegistry } from './provider-registry.js';
import { createRunContext, type ManagedRunContext } from './run-context.js';
import { LoggerToken, ServiceSettingsToken, type ServiceSettings } from './tokens.js';
import { benchmarkBatch, evaluationParams, evaluationSummary } from './tracking-data.js';
import { TrackingOutbox } from './tracking-outbox.js';

export interface SubmitOptions {
  /** A client's retry key: the same key returns the evaluation created first. */
  idempotencyKey?: string;
  requestId?: string;
}

type AbortReason = 'cancel' | 'shutdown';

interface LiveEvaluation {
  evaluation: Evaluation;
  abort: AbortController;
  cancelRequested: boolean;
  done: Promise<Evaluation>;
  resolveDone: (e: Evaluation) => void;
}

const now = (): string => new Date().toISOString();

/** What a refused submission (queue full) is told to wait before trying again. */
const QUEUE_FULL_RETRY_AFTER_SECONDS = 5;

/**
 * The orchestration: validate → resolve model → expand collection (snapshot) → persist → run the
 * benchmarks with bounded concurrency through their providers → track (through the durable outbox)
 * → persist results. Owns every write of an evaluation while it is live.
 */
@injectable()
export class EvaluationService {
  private readonly live = new Map<string, LiveEvaluation>();
  private readonly queue: string[] = [];
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly running = new Set<Promise<void>>();
  private activeEvaluations = 0;
  /** Submissions being stored: counted against max_queued_evaluations before they reach the queue. */
  private admitting = 0;
  private accepting = true;
  private started = false;

  constructor(
    @inject(StoreToken) private readonly store: EvaluationStore,
    @inject(TrackerToken) private readonly tracker: Tracker,
    @inject(RuntimeToken) private readonly runtime: Runtime,
    @inject(ProviderRegistry) private readonly providers: ProviderRegistry,
    @inject(ModelResolver) private readonly models: ModelResolver,
    @inject(CollectionCatalog) private readonly collections: CollectionCatalog,
    @inject(EventHub) private readonly events: EventHub,
    @inject(LoggerToken) private readonly logger: Logger,
    @inject(ServiceSettingsToken) private readonly settings: ServiceSettings,
    @inject(TrackingOutbox) private readonly outbox: TrackingOutbox,
  ) {
    outbox.connect({
      getEvaluation: (id) => this.get(id).catch(() => undefined),
      updateTracking: (id, patch) => this.updateTracking(id, patch),
    });
  }

  private get trackingEnabled(): boolean {
    return this.outbox.enabled;
  }

  // ---------------------------------------------------------------- submission

  /** Validates a request fully (schema, model, collection, providers) without storing anything. */
  async prepare(body: unknown): Promise<{ evaluation: Evaluation }> {
    const request = assertValid<EvaluationRequest>('EvaluationRequest', body);
    const hasBenchmarks = request.benchmarks !== undefined;
    const hasCollection = request.collection_id !== undefined;
    if (hasBenchmarks === hasCollection) {
      const message = hasBenchmarks
        ? "Give either 'benchmarks' or 'collection_id', not both."
        : "Say what to evaluate: add 'benchmarks' (a list of {benchmark_id, provider_id, config}) or 'collection_id' (see GET /api/v1/collections).";
      throw new ValidationError(message, [{ pointer: hasBenchmarks ? '/collection_id' : '', message }], {
        code: hasBenchmarks ? 'benchmarks_and_collection' : 'nothing_to_evaluate',
      });
    }

    const { model } = this.models.resolve(request.model);
    let specs: BenchmarkSpec[];
    let pointerOf: (i: number) => string;
    if (hasCollection) {
      const collection = await this.collections.resolveForRequest(request.collection_id!);
      specs = structuredClone(collection.benchmarks);
      pointerOf = () => '/collection_id';
    } else {
      specs = request.benchmarks!;
      pointerOf = (i) => `/benchmarks/${i}`;
    }

    const details: ErrorDetail[] = [];
    const seen = new Map<string, number>();
    const benchmarks: BenchmarkRun[] = specs.map((s) => ({
      benchmark_id: s.benchmark_id,
      provider_id: s.provider_id,
      config: structuredClone(s.config ?? {}),
      status: 'pending',
      progress: { fraction: 0 },
      attempts: 0,
    }));
    benchmarks.forEach((b, i) => {
      const at = pointerOf(i);
      const where = hasCollection ? ` (benchmark ${i} of collection '${request.collection_id}')` : '';
      if (!this.providers.has(b.provider_id)) {
        const known = this.providers.ids();
        details.push({
          pointer: hasCollection ? at : `${at}/provider_id`,
          message: `Unknown provider '${b.provider_id}'${where}. Installed providers: ${known.join(', ') || 'none'}.`,
        });
        return;
      }
      if (!this.providers.benchmark(b.provider_id, b.benchmark_id)) {
        const known = this.providers.benchmarkIds(b.provider_id);
        const close = closestNames(b.benchmark_id, known);
        details.push({
          pointer: hasCollection ? at : `${at}/benchmark_id`,
          message: `Provider '${b.provider_id}' has no benchmark '${b.benchmark_id}'${where}.${
            close.length ? ` Did you mean ${close.map((c) => `'${c}'`).join(' or ')}?` : ''
          } See GET /api/v1/benchmarks?provider=${b.provider_id}.`,
        });
        return;
      }
      const first = seen.get(b.benchmark_id);
      if (first !== undefined) {
        details.push({
          pointer: hasCollection ? at : `${at}/benchmark_id`,
          message: `Benchmark '${b.benchmark_id}' is already requested at index ${first}; each benchmark may appear once per evaluation (its metrics are named '${b.benchmark_id}.<metric>').`,
        });
        return;
      }
      seen.set(b.benchmark_id, i);
    });

    const evaluation: Evaluation = {
      id: randomUUID(),
      status: 'pending',
      model,
      ...(request.experiment
        ? { experiment: { name: request.experiment.name, tags: { ...(request.experiment.tags ?? {}) } } }
        : {}),
      ...(request.collection_id ? { collection_id: request.collection_id } : {}),
      benchmarks,
      ...(request.timeout_seconds ? { timeout_seconds: request.timeout_seconds } : {}),
      tracking: { tracker: this.outbox.trackerName, state: this.trackingEnabled ? 'pending' : 'disabled' },
      created_at: now(),
      updated_at: now(),
    };

    if (details.length === 0) {
      await Promise.all(
        benchmarks.map(async (b, i) => {
          const provider = this.providers.get(b.provider_id)!;
          if (!provider.validate) return;
          const issues = await provider.validate(this.task(evaluation, i));
          for (const issue of issues) {
            details.push({
              pointer: hasCollection
                ? pointerOf(i)
                : `${pointerOf(i)}/config${issue.pointer === '/' ? '' : issue.pointer}`,
              message: hasCollection ? `${b.benchmark_id}: ${issue.message}` : issue.message,
            });
          }
        }),
      );
    }
    if (details.length > 0) {
      throw new ValidationError(
        `The evaluation request cannot run: ${details[0]!.message}${details.length > 1 ? ` (and ${details.length - 1} more)` : ''}`,
        details,
      );
    }
    return { evaluation };
  }

  /** Validates and stores a request, then starts it in the background. */
  async submit(
    body: unknown,
    options: SubmitOptions = {},
  ): Promise<{ evaluation: Evaluation; created: boolean }> {
    if (!this.accepting)
      throw new ConflictError('hub_shutting_down', 'The hub is shutting down; submit again in a moment.');
    const { evaluation } = await this.prepare(body);
    const limit = this.settings.maxQueuedEvaluations;
    if (limit !== undefined && this.queue.length + this.admitting >= limit)
      throw new QueueFullError(limit, QUEUE_FULL_RETRY_AFTER_SECONDS);
    this.admitting++;
    let result: Awaited<ReturnType<EvaluationStore['createEvaluation']>>;
    try {
      result = await this.store.createEvaluation(evaluation, options.idempotencyKey);
    } finally {
      this.admitting--;
    }
    if (!result.created) return { evaluation: await this.get(result.evaluation.id), created: false };
    this.logger.info(
      {
        evaluation_id: evaluation.id,
        request_id: options.requestId,
        benchmarks: evaluation.benchmarks.length,
      },
      'evaluation accepted',
    );
    this.track(evaluation.id, [
      { op: 'start' },
      { op: 'log', batch: { params: evaluationParams(evaluation), timestamp: Date.now() } },
    ]);
    this.enqueue(evaluation);
    return { evaluation: structuredClone(evaluation), created: true };
  }

  // ---------------------------------------------------------------- reading

  async get(id: string): Promise<Evaluation> {
    const live = this.live.get(id);
    if (live) return structuredClone(live.evaluation);
    const e = await this.store.getEvaluation(id);
    if (!e) throw new NotFoundError('Evaluation', id);
    return e;
  }

  async list(query: EvaluationQuery): Promise<EvaluationPage> {
    const page = await this.store.listEvaluations(query);
    return {
      ...page,
      items: page.items.map((e) =>
        this.live.has(e.id) ? structuredClone(this.live.get(e.id)!.evaluation) : e,
      ),
    };
  }

  /** Resolves with the evaluation once it has finished. */
  async wait(id: string, signal?: AbortSignal): Promise<Evaluation> {
    const live = this.live.get(id);
    if (live) return live.done;
    const e = await this.get(id);
    if (isTerminalEvaluation(e.status)) return e;
    for await (const ev of this.events.subscribe(id, 0, signal))
      if (ev.type === 'result' && ev.evaluation) return ev.evaluation;
    return this.get(id);
  }

  /**
   * The evaluation's events after `afterSeq`, live until it finishes. An evaluation that finished
   * before this process started yields one `result` event.
   */
  async *subscribe(id: string, afterSeq = 0, signal?: AbortSignal): AsyncGenerator<EvaluationEvent> {
    const e = await this.get(id);
    if (!this.events.has(id) && isTerminalEvaluation(e.status)) {
      yield {
        seq: 1,
        type: 'result',
        evaluation_id: id,
        time: e.finished_at ?? e.updated_at,
        status: e.status,
        evaluation: e,
      };
      return;
    }
    yield* this.events.subscribe(id, afterSeq, signal);
  }

  /** Tail of each benchmark's execution log. */
  async logs(id: string, options: { benchmark?: string; tail?: number } = {}): Promise<EvaluationLogs> {
    const e = await this.get(id);
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
    return {
      benchmarks: await Promise.all(
        selected.map(async ({ b, i }) => ({
          benchmark_id: b.benchmark_id,
          provider_id: b.provider_id,
          lines: await tailFile(this.paths(id, i, b.benchmark_id).logFile, tail),
        })),
      ),
    };
  }

  // ---------------------------------------------------------------- control

  async cancel(id: string): Promise<Evaluation> {
    const live = this.live.get(id);
    if (!live) {
      const e = await this.get(id);
      throw new ConflictError(
        'evaluation_finished',
        `Evaluation '${id}' has already finished (${e.status}); there is nothing to cancel.`,
      );
    }
    if (isTerminalEvaluation(live.evaluation.status)) {
      throw new ConflictError(
        'evaluation_finished',
        `Evaluation '${id}' has already finished (${live.evaluation.status}).`,
      );
    }
    live.cancelRequested = true;
    for (const [i, b] of live.evaluation.benchmarks.entries()) {
      if (b.status === 'pending')
        this.setBenchmark(live, i, {
          status: 'cancelled',
          finished_at: now(),
          error: { code: 'cancelled', message: 'Cancelled before it started.' },
        });
    }
    live.abort.abort('cancel' satisfies AbortReason);
    const queued = this.queue.indexOf(id);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      await this.finalize(live);
    } else {
      await this.persist(live);
    }
    return structuredClone(live.evaluation);
  }

  /** Resume after a restart: unfinished evaluations re-run their unfinished benchmarks, tracking replays. */
  async start(): Promise<{ resumed: number; failed: number; trackingReplays: number }> {
    if (this.started) return { resumed: 0, failed: 0, trackingReplays: 0 };
    this.started = true;
    let resumed = 0;
    let failed = 0;
    for (const e of await this.store.listUnfinished()) {
      if (this.live.has(e.id)) continue;
      for (const b of e.benchmarks) {
        if (b.status !== 'running' && b.status !== 'pending') continue;
        if (!this.providers.has(b.provider_id)) {
          Object.assign(b, {
            status: 'failed',
            finished_at: now(),
            error: {
              code: 'provider_missing',
              message: `Provider '${b.provider_id}' is not installed any more; install it and submit again.`,
            },
          });
        } else if ((b.attempts ?? 0) >= this.settings.maxAttempts) {
          Object.assign(b, {
            status: 'failed',
            finished_at: now(),
            error: {
              code: 'interrupted',
              message: `Interrupted ${b.attempts} times by hub restarts; not started again.`,
            },
          });
        } else {
          b.status = 'pending';
          b.progress = { fraction: 0 };
        }
      }
      const stillToRun = e.benchmarks.some((b) => b.status === 'pending');
      this.logger.info({ evaluation_id: e.id, resume: stillToRun }, 'recovering an unfinished evaluation');
      const live = this.makeLive(e);
      if (stillToRun) {
        resumed++;
        this.queue.push(e.id);
      } else {
        failed++;
        await this.finalize(live);
      }
    }
    const trackingReplays = await this.outbox.recover();
    this.pump();
    return { resumed, failed, trackingReplays };
  }

  /**
   * Graceful stop: no new submissions, running benchmarks are interrupted (and stay pending so a
   * restart runs them again), state is persisted, in-flight tracking deliveries finish.
   */
  async close(): Promise<void> {
    this.accepting = false;
    this.queue.length = 0;
    for (const live of this.live.values()) live.abort.abort('shutdown' satisfies AbortReason);
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
    await this.outbox.close();
  }

  /** Tracking health for the health endpoint. */
  async trackingQueueDepth(): Promise<number> {
    return this.outbox.pendingCount();
  }

  /** Re-deliver an evaluation's tracking after a permanent failure was fixed. */
  retryTracking(id: string): void {
    this.outbox.retry(id);
  }

  /** Resolves when no tracking delivery is in flight (tests, graceful shutdown). */
  trackingIdle(): Promise<void> {
    return this.outbox.idle();
  }

  get activeCount(): number {
    return this.live.size;
  }

  // ---------------------------------------------------------------- running

  private makeLive(evaluation: Evaluation): LiveEvaluation {
    let resolveDone!: (e: Evaluation) => void;
    const done = new Promise<Evaluation>((r) => (resolveDone = r));
    const live: LiveEvaluation = {
      evaluation,
      abort: new AbortController(),
      cancelRequested: false,
      done,
      resolveDone,
    };
    this.live.set(evaluation.id, live);
    return live;
  }

  private enqueue(evaluation: Evaluation): void {
    this.makeLive(evaluation);
    this.queue.push(evaluation.id);
    this.publish(evaluation.id, { type: 'status', status: 'pending' });
    this.pump();
  }

  private pump(): void {
    while (
      this.accepting &&
      this.activeEvaluations < this.settings.maxConcurrentEvaluations &&
      this.queue.length > 0
    ) {
      const id = this.queue.shift()!;
      const live = this.live.get(id);
      if (!live) continue;
      this.activeEvaluations++;
      const p = this.runEvaluation(live)
        .catch((err: unknown) =>
          this.logger.error({ evaluation_id: id, err: describeError(err) }, 'evaluation crashed'),
        )
        .finally(() => {
          this.activeEvaluations--;
          this.running.delete(p);
          this.pump();
        });
      this.running.add(p);
    }
  }

  private async runEvaluation(live: LiveEvaluation): Promise<void> {
    const e = live.evaluation;
    const todo = e.benchmarks.map((b, i) => ({ b, i })).filter(({ b }) => b.status === 'pending');
    if (e.status === 'pending' || !e.started_at) {
      e.status = 'running';
      e.started_at ??= now();
      // The first benchmark's start persists this too; save here only when nothing will run.
      if (todo.length === 0) await this.persist(live);
      this.publish(e.id, { type: 'status', status: 'running' });
    }
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < todo.length && !live.abort.signal.aborted) {
        const { i } = todo[next++]!;
        await this.runBenchmark(live, i);
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(this.settings.benchmarkConcurrency, todo.length) }, worker),
    );

    if (live.abort.signal.reason === 'shutdown') {
      await this.persist(live);
      this.live.delete(e.id);
      return;
    }
    if (live.cancelRequested) {
      for (const [i, b] of e.benchmarks.entries()) {
        if (b.status === 'pending') this.setBenchmark(live, i, { status: 'cancelled', finished_at: now() });
      }
    }
    await this.finalize(live);
  }

  private task(e: Evaluation, index: number): BenchmarkTask {
    const b = e.benchmarks[index]!;
    return {
      evaluationId: e.id,
      index,
      benchmark: { benchmark_id: b.benchmark_id, provider_id: b.provider_id, config: b.config },
      model: e.model,
      ...(e.experiment ? { experiment: e.experiment } : {}),
      timeoutMs: (e.timeout_seconds ?? this.settings.benchmarkTimeoutSeconds) * 1000,
      ...(this.models.apiKeyFor(e.model) ? { modelApiKey: this.models.apiKeyFor(e.model)! } : {}),
    };
  }

  private paths(
    evaluationId: string,
    index: number,
    benchmarkId: string,
  ): { root: string; workDir: string; artifactDir: string; logFile: string } {
    const root = join(this.settings.dataDir, 'evaluations', evaluationId);
    const slug = `${index}-${benchmarkId.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
    return {
      root,
      workDir: join(root, 'work', slug),
      artifactDir: join(root, 'artifacts', benchmarkId.replace(/[^A-Za-z0-9_.-]/g, '_')),
      logFile: join(root, 'logs', `${slug}.log`),
    };
  }

  private async runBenchmark(live: LiveEvaluation, index: number): Promise<void> {
    const e = live.evaluation;
    const b = e.benchmarks[index]!;
    const provider = this.providers.get(b.provider_id)!;
    const task = this.task(e, index);
    const paths = this.paths(e.id, index, b.benchmark_id);
    const log = this.logger.child({ evaluation_id: e.id, benchmark_id: b.benchmark_id });

    // One controller per benchmark, aborted by the evaluation's (cancel, shutdown) or by the timeout.
    // (Not AbortSignal.any: on Node 20 it keeps every combined signal alive.)
    const benchmarkAbort = new AbortController();
    const signal = benchmarkAbort.signal;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      benchmarkAbort.abort('timeout');
    }, task.timeoutMs);
    timer.unref();
    const onEvaluationAbort = (): void => benchmarkAbort.abort(live.abort.signal.reason);
    if (live.abort.signal.aborted) onEvaluationAbort();
    else live.abort.signal.addEventListener('abort', onEvaluationAbort, { once: true });
    const artifacts: TrackingOp[] = [];

    const started = now();
    this.setBenchmark(live, index, {
      status: 'running',
      started_at: started,
      attempts: (b.attempts ?? 0) + 1,
      progress: { fraction: 0 },
    });
    delete b.error;
    delete b.finished_at;
    await this.persist(live);
    const t0 = performance.now();
    let ctx: ManagedRunContext | undefined;
    try {
      ctx = await createRunContext({
        runtime: this.runtime,
        signal,
        workDir: paths.workDir,
        artifactDir: paths.artifactDir,
        artifactPrefix: b.benchmark_id,
        logFile: paths.logFile,
        logger: log,
        onProgress: (progress) => {
          b.progress = { ...progress, fraction: Math.min(1, Math.max(0, progress.fraction)) };
          this.publish(e.id, {
            type: 'progress',
            benchmark_index: index,
            benchmark_id: b.benchmark_id,
            progress: b.progress,
          });
        },
        onLog: (line) =>
          this.publish(e.id, { type: 'log', benchmark_index: index, benchmark_id: b.benchmark_id, line }),
        onArtifact: (a) => {
          b.artifacts = [
            ...(b.artifacts ?? []).filter((x) => x.name !== a.name),
            { name: a.name, size: a.size, ...(a.content_type ? { content_type: a.content_type } : {}) },
          ];
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
      this.setBenchmark(live, index, {
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
        this.setBenchmark(live, index, { status: 'pending', progress: { fraction: 0 } });
        log.info('benchmark interrupted by shutdown; it runs again after restart');
        return;
      }
      if (reason === 'cancel') {
        this.setBenchmark(live, index, {
          status: 'cancelled',
          finished_at: now(),
          error: { code: 'cancelled', message: 'Cancelled while running.' },
        });
      } else if (reason === 'timeout') {
        this.setBenchmark(live, index, {
          status: 'failed',
          finished_at: now(),
          error: {
            code: 'benchmark_timeout',
            message: `Timed out after ${task.timeoutMs / 1000} s; raise timeout_seconds if it needs longer.`,
          },
        });
      } else {
        const code = isEvalHubError(err) ? err.code : 'benchmark_failed';
        this.setBenchmark(live, index, {
          status: 'failed',
          finished_at: now(),
          error: { code, message: describeError(err) },
        });
        log.warn({ err: describeError(err) }, 'benchmark failed');
      }
    } finally {
      clearTimeout(timer);
      live.abort.signal.removeEventListener('abort', onEvaluationAbort);
      await ctx?.flushLog();
    }
    const logSize = ctx?.logUsed()
      ? await stat(paths.logFile)
          .then((s) => s.size)
          .catch(() => 0)
      : 0;
    if (
      logSize > 0 &&
      !artifacts.some((a) => a.op === 'artifact' && a.artifact.name === `${b.benchmark_id}/execution.log`)
    ) {
      artifacts.push({
        op: 'artifact',
        artifact: { name: `${b.benchmark_id}/execution.log`, path: paths.logFile, contentType: 'text/plain' },
      });
      b.artifacts = [
        ...(b.artifacts ?? []),
        { name: `${b.benchmark_id}/execution.log`, size: logSize, content_type: 'text/plain' },
      ];
    }
    await this.persist(live);
    this.track(e.id, [{ op: 'log', batch: benchmarkBatch(b, Date.now()) }, ...artifacts]);
  }

  private setBenchmark(live: LiveEvaluation, index: number, patch: Partial<BenchmarkRun>): void {
    const b = live.evaluation.benchmarks[index]!;
    const before = b.status;
    Object.assign(b, patch);
    live.evaluation.updated_at = now();
    if (patch.status && patch.status !== before) {
      this.publish(live.evaluation.id, {
        type: 'benchmark_status',
        benchmark_index: index,
        benchmark_id: b.benchmark_id,
        status: b.status,
      });
    }
  }

  private async finalize(live: LiveEvaluation): Promise<void> {
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

    const ops: TrackingOp[] = [];
    if (this.trackingEnabled) {
      const summaryPath = join(this.paths(e.id, 0, 'x').root, 'artifacts', 'summary.json');
      await mkdir(join(this.paths(e.id, 0, 'x').root, 'artifacts'), { recursive: true });
      await writeFile(summaryPath, JSON.stringify(evaluationSummary(e), null, 2));
      ops.push(
        {
          op: 'log',
          batch: {
            metrics: {
              'evaluation.duration_seconds':
                (Date.parse(e.finished_at) - Date.parse(e.started_at ?? e.created_at)) / 1000,
              'evaluation.benchmarks_completed': e.benchmarks.filter((b) => b.status === 'completed').length,
              'evaluation.benchmarks_failed': failedOnes.length,
            },
            timestamp: Date.now(),
          },
        },
        {
          op: 'artifact',
          artifact: { name: 'summary.json', path: summaryPath, contentType: 'application/json' },
        },
        { op: 'finish' },
      );
    }
    await this.withLock(e.id, async () => {
      await this.store.saveEvaluation(e);
      this.live.delete(e.id);
    });
    this.logger.info({ evaluation_id: e.id, status: e.status }, 'evaluation finished');
    this.publish(e.id, { type: 'status', status: e.status });
    this.publish(e.id, { type: 'result', status: e.status, evaluation: structuredClone(e) });
    this.events.close(e.id);
    live.resolveDone(structuredClone(e));
    if (ops.length) this.track(e.id, ops);
  }

  // ---------------------------------------------------------------- persistence and tracking

  private withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(id) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const settled = next.catch(() => undefined);
    this.locks.set(id, settled);
    void settled.then(() => {
      if (this.locks.get(id) === settled) this.locks.delete(id);
    });
    return next;
  }

  private persist(live: LiveEvaluation): Promise<void> {
    live.evaluation.updated_at = now();
    return this.withLock(live.evaluation.id, () => this.store.saveEvaluation(live.evaluation));
  }

  private async updateTracking(id: string, patch: Partial<TrackingInfo>): Promise<void> {
    await this.withLock(id, async () => {
      const live = this.live.get(id);
      const e = live ? live.evaluation : await this.store.getEvaluation(id);
      if (!e) return;
      const before = e.tracking.state;
      const t: Record<string, unknown> = { ...e.tracking, ...patch };
      for (const [k, v] of Object.entries(t)) if (v === undefined) delete t[k];
      e.tracking = t as unknown as TrackingInfo;
      await this.store.saveEvaluation(e);
      if (before !== e.tracking.state) this.publish(id, { type: 'tracking', status: e.tracking.state });
    });
  }

  private track(id: string, ops: TrackingOp[]): void {
    if (!this.trackingEnabled || ops.length === 0) return;
    this.outbox.enqueue(id, ops).catch((err: unknown) => {
      this.logger.error({ evaluation_id: id, err: describeError(err) }, 'cannot journal tracking operations');
    });
  }

  private publish(id: string, event: Omit<EvaluationEvent, 'seq' | 'time' | 'evaluation_id'>): void {
    this.events.publish(id, event);
  }
}

async function tailFile(path: string, lines: number): Promise<string[]> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch {
    return [];
  }
  try {
    const { size } = await fh.stat();
    const chunk = Math.min(size, Math.max(64 * 1024, lines * 400));
    const buf = Buffer.alloc(chunk);
    await fh.read(buf, 0, chunk, size - chunk);
    const text = buf.toString('utf8');
    const all = text.split(/\r\n|\n|\r/).filter((l) => l.length > 0);
    if (chunk < size) all.shift();
    return all.slice(-lines);
  } finally {
    await fh.close();
  }
}
