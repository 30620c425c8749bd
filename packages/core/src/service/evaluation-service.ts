import { inject, injectable } from 'tsyringe';
import { ConflictError, describeError, NotFoundError } from '../errors.js';
import { RuntimeToken, type Runtime } from '../extension-points/runtime.js';
import {
  StoreToken,
  type EvaluationPage,
  type EvaluationQuery,
  type EvaluationLeases,
  type EvaluationStore,
  type TrackingOp,
} from '../extension-points/store.js';
import { ModelGateway } from '../gateway/model-gateway.js';
import type { Logger } from '../logging.js';
import {
  isTerminalEvaluation,
  type Evaluation,
  type EvaluationEvent,
  type EvaluationLogs,
} from '../types.js';
import { BenchmarkLogs } from './benchmark-logs.js';
import { BenchmarkRunner } from './benchmark-runner.js';
import { CollectionCatalog } from './collection-catalog.js';
import { EvaluationRunner } from './evaluation-runner.js';
import { EvaluationTracking } from './evaluation-tracking.js';
import { EventHub } from './event-hub.js';
import { LiveEvaluations, type AbortReason } from './live-evaluations.js';
import { ModelResolver } from './model-resolver.js';
import { ProviderRegistry } from './provider-registry.js';
import { recoverUnfinished } from './recovery.js';
import { DEFAULT_LEASE_MS } from './lease-keeper.js';
import { ReplicaWork } from './replica-work.js';
import { RequestPreparer } from './request-preparer.js';
import { evaluationScheduler } from './evaluation-scheduler.js';
import type { Scheduler } from './scheduler.js';
import { LoggerToken, ServiceSettingsToken, type ServiceSettings } from './tokens.js';
import { evaluationParams } from './tracking-data.js';
import { TrackingOutbox } from './tracking-outbox.js';
import { Workspace } from './workspace.js';

export interface SubmitOptions {
  /** A client's retry key: the same key returns the evaluation created first. */
  idempotencyKey?: string;
  requestId?: string;
}

/**
 * The hub's API over evaluations: submit, read, follow, cancel, resume after a restart, stop.
 * A facade over small units: RequestPreparer (request semantics), Scheduler (admission, queue,
 * concurrency), EvaluationRunner and BenchmarkRunner (running), LiveEvaluations (the one writer of
 * live documents), Workspace (files), EvaluationTracking (the durable outbox).
 */
@injectable()
export class EvaluationService {
  private readonly live: LiveEvaluations;
  private readonly preparer: RequestPreparer;
  private readonly scheduler: Scheduler;
  private readonly runner: EvaluationRunner;
  private readonly workspace: Workspace;
  private readonly benchmarkLogs: BenchmarkLogs;
  private readonly tracking: EvaluationTracking;
  /** Present on a store with leases: this process is one of several replicas sharing the work. */
  private readonly replicas: ReplicaWork | undefined;
  private accepting = true;
  private started = false;

  constructor(
    @inject(StoreToken) private readonly store: EvaluationStore,
    @inject(RuntimeToken) private readonly runtime: Runtime,
    @inject(ProviderRegistry) private readonly providers: ProviderRegistry,
    @inject(ModelResolver) models: ModelResolver,
    @inject(CollectionCatalog) collections: CollectionCatalog,
    @inject(EventHub) private readonly events: EventHub,
    @inject(LoggerToken) private readonly logger: Logger,
    @inject(ServiceSettingsToken) private readonly settings: ServiceSettings,
    @inject(TrackingOutbox) outbox: TrackingOutbox,
    @inject(ModelGateway) gateway: ModelGateway,
  ) {
    this.replicas = store.leases
      ? new ReplicaWork({
          store: store as EvaluationStore & { leases: EvaluationLeases },
          hubEvents: events,
          providers,
          logger,
          leaseMs: settings.leaseMs ?? DEFAULT_LEASE_MS,
          maxConcurrentEvaluations: settings.maxConcurrentEvaluations,
          maxAttempts: settings.maxAttempts,
          resumable: runtime.resumable === true,
          trackingEnabled: outbox.enabled,
        })
      : undefined;
    const replicas = this.replicas;
    this.live = replicas
      ? new LiveEvaluations(replicas.documents, events, (id, event) => replicas.published(id, event))
      : new LiveEvaluations(store, events);
    this.workspace = new Workspace(settings.dataDir);
    this.benchmarkLogs = new BenchmarkLogs({
      workspace: this.workspace,
      logger,
      ...(store.logTails ? { tails: store.logTails } : {}),
    });
    outbox.connect({
      getEvaluation: (id) => this.get(id).catch(() => undefined),
      updateTracking: (id, patch) => this.live.updateTracking(id, patch),
      ...replicas?.trackingHost,
    });
    this.tracking = new EvaluationTracking(outbox, outbox.enabled, logger);
    this.preparer = new RequestPreparer({
      models,
      collections,
      providers,
      trackerName: outbox.trackerName,
      trackingEnabled: this.tracking.enabled,
      defaultTimeoutSeconds: settings.benchmarkTimeoutSeconds,
      findEvaluation: (id) => store.getEvaluation(id),
      findLatest: async (experiment, tags) =>
        (await store.listEvaluations({ limit: 1, status: 'completed', experiment, tags })).items[0],
      ...(settings.defaultCollection ? { defaultCollection: settings.defaultCollection } : {}),
      runtime,
    });
    this.runner = new EvaluationRunner({
      store: replicas?.documents ?? store,
      live: this.live,
      events,
      workspace: this.workspace,
      tracking: this.tracking,
      logger,
      benchmarkConcurrency: settings.benchmarkConcurrency,
      benchmarks: new BenchmarkRunner({
        providers,
        runtime,
        models,
        workspace: this.workspace,
        logs: this.benchmarkLogs,
        live: this.live,
        tracking: this.tracking,
        logger,
        defaultTimeoutSeconds: settings.benchmarkTimeoutSeconds,
        ...(settings.modelGateway ? { gateway } : {}),
      }),
    });
    this.scheduler = evaluationScheduler({
      settings,
      store,
      live: this.live,
      runner: this.runner,
      logger,
      ...(replicas ? { replicas } : {}),
    });
    replicas?.attach({ live: this.live, scheduler: this.scheduler, runner: this.runner, outbox });
  }

  // ---------------------------------------------------------------- submission

  /** Validates a request fully (schema, model, collection, providers) without storing anything. */
  async prepare(body: unknown): Promise<{ evaluation: Evaluation }> {
    return { evaluation: await this.preparer.prepare(body) };
  }

  /** Validates and stores a request, then starts it in the background. */
  async submit(
    body: unknown,
    options: SubmitOptions = {},
  ): Promise<{ evaluation: Evaluation; created: boolean }> {
    if (!this.accepting)
      throw new ConflictError('hub_shutting_down', 'The hub is shutting down; submit again in a moment.');
    const evaluation = await this.preparer.prepare(body);
    const release = await this.scheduler.admit();
    let result: Awaited<ReturnType<EvaluationStore['createEvaluation']>>;
    try {
      result = await this.store.createEvaluation(evaluation, options.idempotencyKey);
    } finally {
      release();
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
    const startOps: TrackingOp[] = [
      { op: 'start' },
      { op: 'log', batch: { params: evaluationParams(evaluation), timestamp: Date.now() } },
    ];
    if (this.replicas) {
      await this.replicas.submitted(evaluation, startOps);
      return { evaluation: structuredClone(evaluation), created: true };
    }
    this.tracking.track(evaluation.id, startOps);
    this.live.add(evaluation);
    this.live.publish(evaluation.id, { type: 'status', status: 'pending' });
    this.scheduler.enqueue(evaluation.id);
    return { evaluation: structuredClone(evaluation), created: true };
  }

  // ---------------------------------------------------------------- reading

  async get(id: string): Promise<Evaluation> {
    const live = this.live.snapshot(id);
    if (live) return live;
    const e = await this.store.getEvaluation(id);
    if (!e) throw new NotFoundError('Evaluation', id);
    return e;
  }

  async list(query: EvaluationQuery): Promise<EvaluationPage> {
    const page = await this.store.listEvaluations(query);
    return { ...page, items: page.items.map((e) => this.live.snapshot(e.id) ?? e) };
  }

  /** Resolves with the evaluation once it has finished. */
  async wait(id: string, signal?: AbortSignal): Promise<Evaluation> {
    const live = this.live.get(id);
    // Undefined: it left this process unfinished (another replica resumes it); follow its events.
    const done = live ? await live.done : undefined;
    if (done) return done;
    const e = await this.get(id);
    if (isTerminalEvaluation(e.status)) return e;
    for await (const ev of this.events.subscribe(id, 0, signal))
      if (ev.type === 'result' && ev.evaluation) return ev.evaluation;
    return this.get(id);
  }

  /**
   * Calls `listener` with each evaluation this process finishes (submitted here or resumed after a
   * restart), as it finishes and before `wait()` resolves: one subscription for all evaluations,
   * where `wait()` holds a promise per evaluation. The evaluation is shared with the `result`
   * event: read it, do not modify it. A listener that throws is logged and does not affect the
   * evaluation. Returns the function that removes the listener.
   */
  onFinished(listener: (evaluation: Evaluation) => void): () => void {
    return this.events.listen((event) => {
      if (event.type !== 'result' || !event.evaluation) return;
      try {
        listener(event.evaluation);
      } catch (err) {
        this.logger.warn(
          { evaluation_id: event.evaluation_id, err: describeError(err) },
          'a finished-evaluation listener failed',
        );
      }
    });
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

  /** Tail of each benchmark's execution log (every attempt, wherever it ran). */
  async logs(id: string, options: { benchmark?: string; tail?: number } = {}): Promise<EvaluationLogs> {
    return this.benchmarkLogs.read(await this.get(id), options);
  }

  // ---------------------------------------------------------------- control

  async cancel(id: string): Promise<Evaluation> {
    const live = this.live.get(id);
    if (!live && this.replicas) {
      const e = await this.get(id);
      if (!isTerminalEvaluation(e.status)) return this.replicas.cancel(id);
    }
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
    await this.runner.cancel(live, this.scheduler.remove(id));
    return structuredClone(live.evaluation);
  }

  /**
   * Resume after a restart: processes a previous hub left behind are ended first, then unfinished
   * evaluations re-run their unfinished benchmarks and tracking replays.
   */
  async start(): Promise<{ resumed: number; failed: number; trackingReplays: number }> {
    if (this.started) return { resumed: 0, failed: 0, trackingReplays: 0 };
    this.started = true;
    const isLive = async (id: string): Promise<boolean> => {
      const e = await this.store.getEvaluation(id);
      return e !== undefined && !isTerminalEvaluation(e.status);
    };
    const reaped = (await this.runtime.recover?.(isLive))?.reaped ?? 0;
    if (reaped > 0) this.logger.warn({ reaped }, 'ended processes a previous hub left running');
    if (this.replicas) return { resumed: await this.replicas.start(), failed: 0, trackingReplays: 0 };
    const { resume, failed } = await recoverUnfinished({
      store: this.store,
      live: this.live,
      runner: this.runner,
      providers: this.providers,
      logger: this.logger,
      options: { maxAttempts: this.settings.maxAttempts, resumable: this.runtime.resumable === true },
    });
    const trackingReplays = await this.tracking.outbox.recover();
    for (const id of resume) this.scheduler.enqueue(id);
    return { resumed: resume.length, failed, trackingReplays };
  }

  /**
   * Graceful stop: no new submissions, running benchmarks are interrupted (and stay pending so a
   * restart runs them again, without counting the interruption as an attempt), state is persisted,
   * in-flight tracking deliveries finish.
   */
  async close(): Promise<void> {
    this.accepting = false;
    this.replicas?.stopClaiming();
    const stopped = this.scheduler.stop();
    for (const live of this.live.values()) live.abort.abort('shutdown' satisfies AbortReason);
    await stopped;
    await this.tracking.outbox.close();
    await this.replicas?.close();
  }

  /** Tracking health for the health endpoint. */
  async trackingQueueDepth(): Promise<number> {
    return this.tracking.outbox.pendingCount();
  }

  /** Re-deliver an evaluation's tracking after a permanent failure was fixed. */
  retryTracking(id: string): void {
    this.tracking.outbox.retry(id);
  }

  /** Resolves when no tracking delivery is in flight (tests, graceful shutdown). */
  trackingIdle(): Promise<void> {
    return this.tracking.outbox.idle();
  }

  get activeCount(): number {
    return this.live.size;
  }
}
