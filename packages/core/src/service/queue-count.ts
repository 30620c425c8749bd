import { sharedCall } from './shared-call.js';

export interface QueueCountOptions {
  /** The queue bound the count is compared with. */
  limit: number;
  /** How long a count read from the store may stand in for a new one, far below the bound. */
  maxAgeMs: number;
  /** Share of the bound below which a recent count is used (default 0.9). */
  farBelow?: number;
  now?: () => number;
}

/** Default age of a count that may stand in for a new one. */
export const QUEUE_COUNT_MAX_AGE_MS = 1_000;

/**
 * The replicas' queue length for admission, without a query per submission. While the last count
 * read from the store is recent and, with the submissions admitted here since, still far below the
 * bound, that estimate answers; otherwise (stale, near the bound) the store is counted again,
 * shared by the submissions asking at that moment (`sharedCall`). The estimate never drops what this
 * replica admitted; what the other replicas admitted since the last count (at most `maxAgeMs` ago)
 * it does not see, which matters only near the bound, where every admission counts the store.
 */
export function storeQueueCount(read: () => Promise<number>, o: QueueCountOptions): () => Promise<number> {
  const now = o.now ?? Date.now;
  const farBelow = o.limit * (o.farBelow ?? 0.9) - 1;
  const fresh = sharedCall(read);
  let known: { count: number; at: number } | undefined;
  /** Admissions asked for since the last count began: not (all) in it. */
  let since = 0;
  return async () => {
    if (known && now() - known.at < o.maxAgeMs && known.count + since < farBelow) {
      const estimate = known.count + since;
      since++;
      return estimate;
    }
    const before = since;
    const at = now();
    const count = await fresh();
    known = { count, at };
    since = since - before + 1;
    return count;
  };
}
