import { EVALUATION_STATUSES, type Evaluation, type Hub } from '@evalhub/core';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const STATUSES = EVALUATION_STATUSES;

/** The server's Prometheus metrics, in a registry of its own (never the global one). */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly latency: Histogram<'method' | 'route'>;
  readonly benchmarkDuration: Histogram<'provider' | 'status'>;
  readonly evaluationsFinished: Counter<'status'>;
  /** Removes the subscription to the service's finished evaluations. */
  private readonly unsubscribe: () => void;
  /** Event-loop delay since the previous scrape (reset by every scrape). */
  private readonly loopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: 5 });

  constructor(hub: Hub, options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true)
      collectDefaultMetrics({ register: this.registry, prefix: 'evalhub_process_' });
    this.requests = new Counter({
      name: 'evalhub_http_requests_total',
      help: 'HTTP requests by method, route template and status.',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
    });
    this.latency = new Histogram({
      name: 'evalhub_http_request_duration_seconds',
      help: 'HTTP request latency by method and route template (event streams excluded).',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [this.registry],
    });
    this.benchmarkDuration = new Histogram({
      name: 'evalhub_benchmark_duration_seconds',
      help: 'Duration of finished benchmarks by provider and final status.',
      labelNames: ['provider', 'status'],
      buckets: [0.1, 1, 10, 60, 300, 900, 1800, 3600, 7200, 14400, 43200, 86400],
      registers: [this.registry],
    });
    this.evaluationsFinished = new Counter({
      name: 'evalhub_evaluations_finished_total',
      help: 'Evaluations that finished while this process ran, by final status.',
      labelNames: ['status'],
      registers: [this.registry],
    });
    this.loopDelay.enable();
    const loopDelay = this.loopDelay;
    new Gauge({
      name: 'evalhub_event_loop_delay_seconds',
      help: 'Event-loop delay since the previous scrape: quantile 0.5, 0.99 and 1 (the maximum). A request waits at least this long before the hub even reads it.',
      labelNames: ['quantile'],
      registers: [this.registry],
      collect() {
        const s = (ns: number): number => (Number.isFinite(ns) && loopDelay.count > 0 ? ns / 1e9 : 0);
        this.set({ quantile: '0.5' }, s(loopDelay.percentile(50)));
        this.set({ quantile: '0.99' }, s(loopDelay.percentile(99)));
        this.set({ quantile: '1' }, s(loopDelay.max));
        loopDelay.reset();
      },
    });
    const service = hub.service;
    // Every evaluation this process finishes (submitted here, through any API, or resumed after a restart).
    this.unsubscribe = service.onFinished((e) => this.finished(e));
    new Gauge({
      name: 'evalhub_evaluations',
      help: 'Evaluations in the store by status.',
      labelNames: ['status'],
      registers: [this.registry],
      async collect() {
        const totals = await Promise.all(
          STATUSES.map((status) => service.list({ limit: 1, status }).then((p) => p.total)),
        );
        STATUSES.forEach((status, i) => this.set({ status }, totals[i]!));
      },
    });
    new Gauge({
      name: 'evalhub_evaluations_active',
      help: 'Evaluations pending or running in this process.',
      registers: [this.registry],
      collect() {
        this.set(service.activeCount);
      },
    });
    new Gauge({
      name: 'evalhub_tracking_queue_depth',
      help: 'Tracking operations journaled but not yet delivered to the tracker.',
      registers: [this.registry],
      async collect() {
        this.set(await service.trackingQueueDepth());
      },
    });
  }

  /** Stop sampling the event loop and observing finished evaluations. */
  close(): void {
    this.loopDelay.disable();
    this.unsubscribe();
  }

  private finished(e: Evaluation): void {
    this.evaluationsFinished.inc({ status: e.status });
    for (const b of e.benchmarks) {
      const seconds =
        b.results?.duration_seconds ??
        (b.started_at && b.finished_at
          ? (Date.parse(b.finished_at) - Date.parse(b.started_at)) / 1000
          : undefined);
      if (seconds !== undefined && Number.isFinite(seconds))
        this.benchmarkDuration.observe({ provider: b.provider_id, status: b.status }, seconds);
    }
  }
}
