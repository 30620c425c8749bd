export interface UntilOptions {
  /** Give up after this long (default 240 s: generous, for a loaded 2-core CI machine). */
  timeoutMs?: number;
  /** Time between probes (default 100 ms). */
  intervalMs?: number;
  /** Treat a probe that throws as "not yet" (e.g. a server that is still starting); default false. */
  retryErrors?: boolean;
}

/**
 * Polls `probe` until it returns something other than `undefined` or `false` and resolves with it:
 * how tests wait for a condition another process makes true, without a fixed sleep. Rejects after
 * `timeoutMs` with `what` (and the probe's last error, when errors are retried) in the message.
 */
export async function until<T>(
  what: string,
  probe: () => T | Promise<T>,
  options: UntilOptions = {},
): Promise<Exclude<T, undefined | false>> {
  const { timeoutMs = 240_000, intervalMs = 100, retryErrors = false } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value as Exclude<T, undefined | false>;
    } catch (error) {
      if (!retryErrors) throw error;
      lastError = error;
    }
    if (Date.now() > deadline) {
      const cause = lastError === undefined ? '' : ` (last error: ${String(lastError)})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
