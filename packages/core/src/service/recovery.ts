import type { EvaluationStore } from '../extension-points/store.js';
import type { Logger } from '../logging.js';
import type { Evaluation } from '../types.js';
import type { EvaluationRunner } from './evaluation-runner.js';
import { now, type LiveEvaluations } from './live-evaluations.js';
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

export interface RecoveryDeps {
  store: Pick<EvaluationStore, 'listUnfinished'>;
  live: LiveEvaluations;
  runner: Pick<EvaluationRunner, 'finish'>;
  providers: ProviderRegistry;
  logger: Logger;
  options: ResumeOptions;
}

/**
 * The start of a hub that is the only one on its store: every evaluation left unfinished becomes
 * live here (`prepareResume`); those with nothing left to run are closed at once. Returns the ones
 * to queue again, in the store's order, and how many were closed as failed.
 */
export async function recoverUnfinished(d: RecoveryDeps): Promise<{ resume: string[]; failed: number }> {
  const resume: string[] = [];
  let failed = 0;
  for (const e of await d.store.listUnfinished()) {
    if (d.live.has(e.id)) continue;
    const stillToRun = prepareResume(e, d.providers, d.options);
    d.logger.info({ evaluation_id: e.id, resume: stillToRun }, 'recovering an unfinished evaluation');
    const live = d.live.add(e);
    if (stillToRun) resume.push(e.id);
    else {
      failed++;
      await d.runner.finish(live);
    }
  }
  return { resume, failed };
}
