import type { Evaluation } from '../types.js';
import { now } from './live-evaluations.js';
import type { ProviderRegistry } from './provider-registry.js';

export interface ResumeOptions {
  maxAttempts: number;
  /**
   * The runtime's commands outlived the previous process (Runtime.resumable): a benchmark it left
   * running resumes the same attempt (the runtime re-attaches) and the crash is not counted.
   */
  resumable?: boolean;
}

/**
 * What a start-up does with an evaluation a previous process left unfinished: each benchmark that
 * was running or waiting runs again, unless its provider is gone or it was already started
 * `maxAttempts` times (each start counts, except one ended by a graceful shutdown or one a
 * resumable runtime still runs); then it fails with the reason. Returns whether anything is left to
 * run. Mutates `e`.
 */
export function prepareResume(e: Evaluation, providers: ProviderRegistry, options: ResumeOptions): boolean {
  const { maxAttempts } = options;
  for (const b of e.benchmarks) {
    if (b.status !== 'running' && b.status !== 'pending') continue;
    // The same bookkeeping as a graceful stop: the attempt is uncounted, so the next run has its number.
    if (b.status === 'running' && options.resumable) b.attempts = Math.max(0, (b.attempts ?? 0) - 1);
    if (!providers.has(b.provider_id)) {
      Object.assign(b, {
        status: 'failed',
        finished_at: now(),
        error: {
          code: 'provider_missing',
          message: `Provider '${b.provider_id}' is not installed any more; install it and submit again.`,
        },
      });
    } else if ((b.attempts ?? 0) >= maxAttempts) {
      Object.assign(b, {
        status: 'failed',
        finished_at: now(),
        error: {
          code: 'interrupted',
          message: `Interrupted ${b.attempts} times by hub crashes (the hub stopped without a graceful shutdown); not started again (evaluation.max_attempts).`,
        },
      });
    } else {
      b.status = 'pending';
      b.progress = { fraction: 0 };
    }
  }
  return e.benchmarks.some((b) => b.status === 'pending');
}
