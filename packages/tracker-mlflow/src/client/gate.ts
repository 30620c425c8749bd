/**
 * Bounds and paces the client's requests to one MLflow server. At most `limit` requests are in
 * flight; callers beyond it wait in arrival order. A transient failure (timeout, reset, 429/5xx)
 * pauses every new request for the retry delay (one backoff for the whole client, not one per
 * caller) and halves the number allowed in flight; each success lets one more in again, up to
 * `limit` (additive increase, multiplicative decrease).
 */
export class RequestGate {
  private active = 0;
  private allowed: number;
  private readonly waiters: (() => void)[] = [];
  private pausedUntil = 0;
  private pauseTimer: Promise<void> | undefined;

  constructor(
    readonly limit: number,
    private readonly clock: () => number = Date.now,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('limit must be an integer >= 1');
    this.allowed = limit;
  }

  /** Requests in flight now. */
  get inFlight(): number {
    return this.active;
  }

  /** Requests allowed in flight now (between 1 and `limit`). */
  get currentLimit(): number {
    return this.allowed;
  }

  /**
   * Waits for a slot (and, unless `ignorePause`, for a pause to end); returns the release function.
   * A retry that already waited out its own delay passes `ignorePause`.
   */
  async acquire(ignorePause = false): Promise<() => void> {
    for (;;) {
      const wait = ignorePause ? 0 : this.pausedUntil - this.clock();
      if (wait > 0) {
        this.pauseTimer ??= new Promise<void>((ok) => setTimeout(ok, wait)).then(() => {
          this.pauseTimer = undefined;
        });
        await this.pauseTimer;
        continue;
      }
      if (this.active < this.allowed) break;
      await new Promise<void>((ok) => this.waiters.push(ok));
    }
    this.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      this.waiters.shift()?.();
    };
  }

  /** A transient failure: pause new requests for `ms` and halve the requests allowed in flight. */
  failed(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.clock() + ms);
    this.allowed = Math.max(1, Math.floor(this.allowed / 2));
  }

  /** A request went through: allow one more in flight, up to the limit. */
  succeeded(): void {
    if (this.allowed < this.limit) {
      this.allowed++;
      this.waiters.shift()?.();
    }
  }
}
