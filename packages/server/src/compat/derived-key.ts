import { createHash } from 'node:crypto';

/** How long an identical body counts as a retry of the first one (the SDK retries for about two minutes). */
export const RETRY_WINDOW_MS = 5 * 60_000;

/** JSON with object keys sorted, so the same body always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Idempotency keys for clients that retry POSTs without one (eval-hub's SDK resends a job submission on
 * timeouts, connection errors and 5xx). The key is a hash of the body and of who sent it, and stays the
 * same for RETRY_WINDOW_MS after its first use: a retry within the window gets the job created first, an
 * identical submission after it creates a new job. Keys remembered here survive window boundaries within
 * one process; across processes (or after a restart) the time slot in the key still joins retries that
 * fall into the same slot.
 */
export class DerivedKeys {
  private readonly recent = new Map<string, { key: string; at: number }>();

  constructor(
    private readonly windowMs = RETRY_WINDOW_MS,
    private readonly now: () => number = Date.now,
  ) {}

  keyFor(body: unknown, principal = ''): string {
    const t = this.now();
    const hash = createHash('sha256')
      .update(principal)
      .update('\u0000')
      .update(canonicalJson(body))
      .digest('hex');
    for (const [h, v] of this.recent) if (t - v.at >= this.windowMs) this.recent.delete(h);
    const seen = this.recent.get(hash);
    if (seen) return seen.key;
    const key = `eval-hub-compat:${hash.slice(0, 48)}:${Math.floor(t / this.windowMs)}`;
    this.recent.set(hash, { key, at: t });
    return key;
  }
}
