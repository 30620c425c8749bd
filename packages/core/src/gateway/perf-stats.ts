/**
 * Performance data of one benchmark's model requests, as the gateway saw them: counts, tokens (from
 * the answers' `usage`), latency percentiles as the engine experienced them, throughput over the
 * request phase, peak concurrency and the gateway's own processing time. Tracked as MLflow metrics
 * `{benchmark_id}.perf.*` (see `perfMetrics`).
 */

export interface PerfStats {
  /** Model (inference) requests answered, including cache hits and failures. */
  requests: number;
  /** Requests finally answered with a non-2xx status or a connection error. */
  errors: number;
  /** Attempts repeated after a 429/5xx/connection failure. */
  retries: number;
  cacheHits: number;
  promptTokens: number;
  completionTokens: number;
  /** Engine-side latency (arrival at the gateway → answer sent), milliseconds. */
  latencyP50Ms: number;
  latencyP95Ms: number;
  latencyP99Ms: number;
  /** First request's arrival → last answer, seconds (the request phase). */
  durationSeconds: number;
  requestsPerSecond: number;
  /** Prompt + completion tokens per second of the request phase. */
  tokensPerSecond: number;
  /** Most requests of this benchmark in flight to the server at once. */
  peakConcurrency: number;
  /** The gateway's own time per request (latency − waiting for a slot − upstream − backoff), p50/p99 ms. */
  overheadP50Ms: number;
  overheadP99Ms: number;
}

/** One finished request, for the recorder. */
export interface RequestRecord {
  latencyMs: number;
  overheadMs: number;
  ok: boolean;
  cacheHit: boolean;
  promptTokens?: number;
  completionTokens?: number;
}

/** Nearest-rank percentile of a sorted array (0 when empty). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** A bounded sample of values (all of them up to `capacity`, then a uniform reservoir). */
class Reservoir {
  private values = new Float64Array(1024);
  private size = 0;
  private seen = 0;

  constructor(private readonly capacity: number) {}

  add(v: number): void {
    this.seen++;
    if (this.size < this.capacity) {
      if (this.size === this.values.length) {
        const grown = new Float64Array(Math.min(this.capacity, this.values.length * 2));
        grown.set(this.values);
        this.values = grown;
      }
      this.values[this.size++] = v;
      return;
    }
    const j = Math.floor(Math.random() * this.seen);
    if (j < this.capacity) this.values[j] = v;
  }

  sorted(): Float64Array {
    return this.values.slice(0, this.size).sort();
  }
}

const round = (v: number, digits = 3): number => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};

export class PerfRecorder {
  private requests = 0;
  private errors = 0;
  private retries = 0;
  private cacheHits = 0;
  private promptTokens = 0;
  private completionTokens = 0;
  private inFlight = 0;
  private peak = 0;
  private firstStart: number | undefined;
  private lastEnd: number | undefined;
  private readonly latency: Reservoir;
  private readonly overhead: Reservoir;

  constructor(
    private readonly clock: () => number = () => performance.now(),
    sampleCapacity = 100_000,
  ) {
    this.latency = new Reservoir(sampleCapacity);
    this.overhead = new Reservoir(sampleCapacity);
  }

  /** A request arrived (marks the start of the request phase). */
  arrived(): void {
    this.firstStart ??= this.clock();
  }

  /** An attempt got a slot at the server (or ended: `delta` −1). */
  upstream(delta: 1 | -1): void {
    this.inFlight += delta;
    if (this.inFlight > this.peak) this.peak = this.inFlight;
  }

  retried(): void {
    this.retries++;
  }

  finished(r: RequestRecord): void {
    this.requests++;
    if (!r.ok) this.errors++;
    if (r.cacheHit) this.cacheHits++;
    this.promptTokens += r.promptTokens ?? 0;
    this.completionTokens += r.completionTokens ?? 0;
    this.latency.add(r.latencyMs);
    this.overhead.add(r.overheadMs);
    this.lastEnd = this.clock();
  }

  snapshot(): PerfStats {
    const lat = this.latency.sorted();
    const ovh = this.overhead.sorted();
    const durationMs =
      this.firstStart !== undefined && this.lastEnd !== undefined ? this.lastEnd - this.firstStart : 0;
    const seconds = durationMs / 1000;
    const perSecond = (n: number): number => (seconds > 0 ? round(n / seconds, 2) : 0);
    return {
      requests: this.requests,
      errors: this.errors,
      retries: this.retries,
      cacheHits: this.cacheHits,
      promptTokens: this.promptTokens,
      completionTokens: this.completionTokens,
      latencyP50Ms: round(percentile(lat, 50)),
      latencyP95Ms: round(percentile(lat, 95)),
      latencyP99Ms: round(percentile(lat, 99)),
      durationSeconds: round(seconds),
      requestsPerSecond: perSecond(this.requests),
      tokensPerSecond: perSecond(this.promptTokens + this.completionTokens),
      peakConcurrency: this.peak,
      overheadP50Ms: round(percentile(ovh, 50)),
      overheadP99Ms: round(percentile(ovh, 99)),
    };
  }
}

/** Metric names under which a benchmark's perf data is tracked. */
export const PERF_METRIC_NAMES: Readonly<Record<keyof PerfStats, string>> = Object.freeze({
  requests: 'requests',
  errors: 'errors',
  retries: 'retries',
  cacheHits: 'cache_hits',
  promptTokens: 'prompt_tokens',
  completionTokens: 'completion_tokens',
  latencyP50Ms: 'latency_p50_ms',
  latencyP95Ms: 'latency_p95_ms',
  latencyP99Ms: 'latency_p99_ms',
  durationSeconds: 'duration_seconds',
  requestsPerSecond: 'requests_per_second',
  tokensPerSecond: 'tokens_per_second',
  peakConcurrency: 'peak_concurrency',
  overheadP50Ms: 'gateway_overhead_p50_ms',
  overheadP99Ms: 'gateway_overhead_p99_ms',
});

/** The perf data under its metric names (`cache_hits`, `latency_p99_ms`…): a benchmark's `perf`. */
export function perfData(stats: PerfStats): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, name] of Object.entries(PERF_METRIC_NAMES) as [keyof PerfStats, string][])
    out[name] = stats[key];
  return out;
}

/** `{benchmark_id}.perf.<name>` → value, ready for `logMetrics`. */
export function perfMetrics(benchmarkId: string, stats: PerfStats): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(perfData(stats))) out[`${benchmarkId}.perf.${name}`] = value;
  return out;
}
