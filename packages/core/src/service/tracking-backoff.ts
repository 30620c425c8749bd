/** Retry delays of the tracking outbox. */
export interface BackoffPolicy {
  /** Ceiling of the first delay (ms). */
  baseDelayMs: number;
  /** Largest ceiling (ms). */
  maxDelayMs: number;
}

export const DEFAULT_TRACKING_BACKOFF: Readonly<BackoffPolicy> = Object.freeze({
  baseDelayMs: 1_000,
  maxDelayMs: 60_000,
});

/**
 * One backoff for the whole outbox, not one per evaluation: when the tracker fails transiently
 * (down, overloaded, timing out), every evaluation waits, so a struggling backend is not hammered by
 * each evaluation's own retry clock. After the n-th consecutive failure (counted across all
 * evaluations) the outbox pauses for "equal jitter": a random delay between half and all of
 * `min(maxDelayMs, baseDelayMs · 2^(n-1))`. Any successful delivery resets the count.
 */
export class SharedBackoff {
  private failures = 0;
  private until = 0;

  constructor(
    private readonly policy: BackoffPolicy = DEFAULT_TRACKING_BACKOFF,
    private readonly random: () => number = Math.random,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Consecutive transient failures so far. */
  get consecutiveFailures(): number {
    return this.failures;
  }

  /** Milliseconds left in the current pause (0 when deliveries may go). */
  remainingMs(): number {
    return Math.max(0, this.until - this.clock());
  }

  /** Records a transient failure; returns the pause it starts (ms). */
  failed(): number {
    this.failures++;
    const ceiling = Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** (this.failures - 1));
    const delay = Math.round(ceiling / 2 + this.random() * (ceiling / 2));
    this.until = Math.max(this.until, this.clock() + delay);
    return delay;
  }

  /** A delivery went through: the backend is healthy again. */
  succeeded(): void {
    this.failures = 0;
    this.until = 0;
  }

  /** Forget the pause (an operator asked for a retry). */
  reset(): void {
    this.succeeded();
  }
}
