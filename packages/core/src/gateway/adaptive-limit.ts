/**
 * The adaptive concurrency limit of one model server: how many requests the gateway lets be in
 * flight to it at once. A gradient limiter with a slow start and a periodic baseline probe
 * (docs/model-gateway.md explains the algorithm and its equilibrium).
 *
 * - The limit counts sequences, as a server's `max_num_seqs` does: a batched completion of k prompts
 *   weighs k. Samples (round-trip times of successful requests) are grouped in windows of about
 *   `limit` sequences, i.e. one round of what is in flight; a window's RTT is their weighted median.
 * - `baseline` is the lowest window RTT seen since the last probe: the server's no-queue latency.
 * - Slow start: while a window's RTT stays within `slowStartTolerance` of the baseline the limit
 *   doubles (or becomes twice the window's peak in flight, when a batch larger than the limit was
 *   let through alone); the first window above it (or an overload) ends slow start.
 * - Then per window: `gradient = clamp(max(tolerance × baseline, baseline + minRiseMs) / rtt, 0.5, 1)`,
 *   `target = limit × gradient + √limit`, `limit ← limit + smoothing × (target − limit)`. For a
 *   server that serves C requests in parallel at a fixed latency (round trip L × N / C once N > C)
 *   this settles at N ≈ tolerance × C + √N: the server always has work (full throughput), requests
 *   wait at most about (tolerance − 1) service times more, and latency noise below the tolerance
 *   (a busy machine) does not shrink the limit.
 * - An overload (429, 503, timeout, connection reset) multiplies the limit by `backoff`, at most once
 *   per baseline round trip.
 * - Every `probeIntervalMs` one window runs at half the limit, so the baseline is measured again
 *   without queueing (the server may have become slower or faster).
 * - The limit only grows when the window actually used at least half of it (an engine sending fewer
 *   requests says nothing about the server).
 */

export interface AdaptiveLimitOptions {
  /** Default 4. */
  initialLimit: number;
  /** Default 1. */
  minLimit: number;
  /** The server's `max_concurrency`. Default 512. */
  maxLimit: number;
  /** Multiplier on an overload signal. Default 0.8. */
  backoff: number;
  /** Weight of a new target. Default 0.5. */
  smoothing: number;
  /** Slow start ends when a window's RTT exceeds baseline × this. Default 1.2. */
  slowStartTolerance: number;
  /** Latency rise (× baseline) accepted before the limit shrinks. Default 1.2. */
  tolerance: number;
  /**
   * Least latency rise, in ms, ever read as queueing (in slow start and after). Default 20: a server
   * that answers in half a millisecond sees stalls of 5–30 ms on a busy machine (GC, scheduling),
   * which × tolerance would read as an overloaded server and shrink the limit into a queue. For a
   * model server (100 ms and more per request) `tolerance` allows more than this anyway.
   */
  minRiseMs: number;
  /** Fewest samples in a window. Default 4. */
  minWindowSamples: number;
  /** Baseline re-measurement period. Default 10 s. */
  probeIntervalMs: number;
}

export const DEFAULT_ADAPTIVE_LIMIT: Readonly<AdaptiveLimitOptions> = Object.freeze({
  initialLimit: 4,
  minLimit: 1,
  maxLimit: 512,
  backoff: 0.8,
  smoothing: 0.5,
  slowStartTolerance: 1.2,
  tolerance: 1.2,
  minRiseMs: 20,
  minWindowSamples: 4,
  probeIntervalMs: 10_000,
});

export type LimitPhase = 'slow-start' | 'steady' | 'probe';

export interface LimitState {
  limit: number;
  phase: LimitPhase;
  /** No-queue RTT estimate in ms (undefined before the first window). */
  baselineMs: number | undefined;
  /** Median RTT of the last finished window. */
  lastWindowMs: number | undefined;
  overloads: number;
}

export class AdaptiveLimit {
  private readonly opts: AdaptiveLimitOptions;
  private value: number;
  private phase: LimitPhase = 'slow-start';
  private baseline: number | undefined;
  private lastWindow: number | undefined;
  /** Round trips of the current window with the sequences each request carried. */
  private window: { rttMs: number; weight: number }[] = [];
  private windowWeight = 0;
  private windowPeakInFlight = 0;
  private lastBackoffAt = -Infinity;
  private lastProbeAt: number;
  private resumeLimit = 0;
  private overloads = 0;
  private generation = 0;

  constructor(options: Partial<AdaptiveLimitOptions> = {}, now: number = performance.now()) {
    this.opts = { ...DEFAULT_ADAPTIVE_LIMIT, ...options };
    if (this.opts.maxLimit < this.opts.minLimit) this.opts.maxLimit = this.opts.minLimit;
    this.value = this.clamp(this.opts.initialLimit);
    this.lastProbeAt = now;
  }

  /**
   * Changes whenever the limit does. A sample of a request sent under an older generation says
   * nothing about the current limit and is left out (no slow-start overshoot from stale windows).
   */
  get epoch(): number {
    return this.generation;
  }

  /** Whole sequences allowed in flight now. */
  get limit(): number {
    return Math.max(this.opts.minLimit, Math.floor(this.value));
  }

  state(): LimitState {
    return {
      limit: this.limit,
      phase: this.phase,
      baselineMs: this.baseline,
      lastWindowMs: this.lastWindow,
      overloads: this.overloads,
    };
  }

  /**
   * A successful request's round trip; `inFlight` = sequences in flight when it was sent (incl.
   * its own), `epoch` = the limit's `epoch` then (omitted: counts), `weight` = its sequences.
   */
  onSample(
    rttMs: number,
    inFlight: number,
    now: number = performance.now(),
    epoch = this.generation,
    weight = 1,
  ): void {
    if (epoch !== this.generation) return;
    this.window.push({ rttMs, weight });
    this.windowWeight += weight;
    this.windowPeakInFlight = Math.max(this.windowPeakInFlight, inFlight);
    if (this.windowWeight < Math.max(this.opts.minWindowSamples, this.limit)) return;
    // the median: a stall of the machine (GC, scheduling) moves a few samples, not the window
    const rtt = weightedMedian(this.window, this.windowWeight);
    const peak = this.windowPeakInFlight;
    const used = peak >= this.limit / 2;
    this.resetWindow();
    this.lastWindow = rtt;
    if (this.baseline === undefined || rtt < this.baseline) this.baseline = rtt;
    const baseline = this.baseline;

    if (this.phase === 'probe') {
      this.phase = 'steady';
      this.set(Math.max(this.resumeLimit, this.value));
      this.lastProbeAt = now;
      return;
    }
    if (now - this.lastProbeAt >= this.opts.probeIntervalMs && this.phase === 'steady') {
      // forget the baseline and measure it again at half the limit
      this.phase = 'probe';
      this.resumeLimit = this.value;
      this.baseline = undefined;
      this.set(this.value / 2);
      return;
    }
    const rise = this.opts.minRiseMs;
    if (this.phase === 'slow-start') {
      if (rtt <= Math.max(baseline * this.opts.slowStartTolerance, baseline + rise)) {
        // double what the server just handled without queueing (a batch let through alone may
        // have been more than the limit)
        if (used) this.set(Math.max(this.value, peak) * 2);
        return;
      }
      this.phase = 'steady';
    }
    const accepted = Math.max(this.opts.tolerance * baseline, baseline + rise);
    const gradient = Math.min(1, Math.max(0.5, accepted / rtt));
    const target = this.value * gradient + Math.sqrt(this.value);
    if (target > this.value && !used) return;
    this.set(this.value + this.opts.smoothing * (target - this.value));
  }

  /** The server said it is overloaded (429/503), timed out or dropped the connection. */
  onOverload(now: number = performance.now()): void {
    this.overloads++;
    this.phase = this.phase === 'probe' ? 'probe' : 'steady';
    const spacing = this.baseline ?? 0;
    if (now - this.lastBackoffAt < spacing) return; // one decrease per round trip
    this.lastBackoffAt = now;
    this.set(this.value * this.opts.backoff);
    if (this.phase === 'probe') this.resumeLimit = this.clamp(this.resumeLimit * this.opts.backoff);
    this.resetWindow();
  }

  private resetWindow(): void {
    this.window = [];
    this.windowWeight = 0;
    this.windowPeakInFlight = 0;
  }

  private set(v: number): void {
    const next = this.clamp(v);
    if (Math.floor(next) !== Math.floor(this.value)) this.generation++;
    this.value = next;
  }

  private clamp(v: number): number {
    return Math.min(this.opts.maxLimit, Math.max(this.opts.minLimit, v));
  }
}

/** The round trip below which half of the window's sequences were answered. */
function weightedMedian(window: { rttMs: number; weight: number }[], total: number): number {
  const sorted = window.sort((a, b) => a.rttMs - b.rttMs);
  let seen = 0;
  for (const s of sorted) {
    seen += s.weight;
    if (seen > total / 2) return s.rttMs;
  }
  return sorted[sorted.length - 1]!.rttMs;
}
