import { describeError, hasErrorCode } from '../errors.js';
import type { EvaluationStore } from '../extension-points/store.js';
import type { Logger } from '../logging.js';
import type { EvaluationRunner } from './evaluation-runner.js';
import type { LiveEvaluations } from './live-evaluations.js';
import { QUEUE_COUNT_MAX_AGE_MS, storeQueueCount } from './queue-count.js';
import type { ReplicaWork } from './replica-work.js';
import { Scheduler } from './scheduler.js';
import type { ServiceSettings } from './tokens.js';

export interface EvaluationSchedulerDeps {
  settings: Pick<ServiceSettings, 'maxConcurrentEvaluations' | 'maxQueuedEvaluations'>;
  store: Pick<EvaluationStore, 'listEvaluations'>;
  live: LiveEvaluations;
  runner: Pick<EvaluationRunner, 'run'>;
  logger: Logger;
  /** Present when this process is one of several replicas on the store. */
  replicas?: Pick<ReplicaWork, 'afterRun'>;
}

/**
 * The service's scheduler: admission against this process's queue, or for replicas against the
 * store's (every stored evaluation not yet started waits, whichever replica took it); each
 * evaluation it starts is run by the runner. A run that ends because another replica took the
 * evaluation over is not a crash: this one has already stopped it.
 */
export function evaluationScheduler(d: EvaluationSchedulerDeps): Scheduler {
  const { settings, store, live, runner, replicas, logger } = d;
  const limit = settings.maxQueuedEvaluations;
  return new Scheduler({
    maxConcurrentEvaluations: settings.maxConcurrentEvaluations,
    ...(limit !== undefined ? { maxQueuedEvaluations: limit } : {}),
    ...(replicas && limit !== undefined
      ? {
          countWaiting: storeQueueCount(
            async () => (await store.listEvaluations({ limit: 1, status: 'pending' })).total,
            { limit, maxAgeMs: QUEUE_COUNT_MAX_AGE_MS },
          ),
        }
      : {}),
    run: async (id) => {
      const e = live.get(id);
      try {
        if (e) await runner.run(e);
      } catch (err) {
        if (!(replicas && hasErrorCode(err, 'lease_lost'))) throw err;
      } finally {
        replicas?.afterRun(id);
      }
    },
    onCrash: (id, err) => logger.error({ evaluation_id: id, err: describeError(err) }, 'evaluation crashed'),
  });
}
