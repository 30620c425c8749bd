import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError, isEvalHubError, isTerminalEvaluation, type Hub } from '@evalhub/core';

/** How long a hard delete waits for the evaluation's last MLflow writes before removing it anyway. */
const TRACKING_GRACE_MS = 10_000;

/**
 * eval-hub's `DELETE …/jobs/{id}?hard_delete=true`: cancel the evaluation if it still runs, wait until
 * it has stopped (and, briefly, for its tracking to settle), then remove it from the store together
 * with its files (logs, artifacts). The MLflow run stays, as in eval-hub.
 */
export async function hardDeleteEvaluation(hub: Hub, id: string): Promise<void> {
  const store = hub.store;
  if (!store.deleteEvaluation) {
    throw new ConflictError(
      'delete_not_supported',
      `The hub's store (${store.name}) cannot delete evaluations; cancel the job instead (DELETE without hard_delete).`,
    );
  }
  const e = await hub.service.get(id); // 404 for an unknown id
  if (!isTerminalEvaluation(e.status)) {
    try {
      await hub.service.cancel(id);
    } catch (err) {
      // It finished between the read and the cancel: nothing to stop.
      if (!(isEvalHubError(err) && err.code === 'evaluation_finished')) throw err;
    }
    await hub.service.wait(id);
  }
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    hub.service.trackingIdle(),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, TRACKING_GRACE_MS);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
  await store.deleteEvaluation(id);
  await rm(join(hub.config.dataDir, 'evaluations', id), { recursive: true, force: true });
}
