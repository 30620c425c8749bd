/**
 * Catalog tasks that read their data from the Hugging Face hub (no `dataset_path`): pinning the
 * dataset revision a request names, and saying clearly what to do when the dataset cannot be had.
 */
import { join } from 'node:path';
import type { LmEvalCatalogEntry } from './catalog-types.js';
import type { HfEnvironment } from './hf-env.js';

/** Name of the generated task that pins a revision (never clashes with lm-eval's own tasks). */
export function revisionTaskName(benchmarkId: string): string {
  return `evalhub_rev_${benchmarkId.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

/**
 * A task config that is lm-eval's own task with `dataset_kwargs.revision` set: it includes the task's
 * YAML from the installed lm-eval (`tasksRoot`), so prompt, splits and metrics stay lm-eval's.
 */
export function revisionTaskConfig(
  entry: LmEvalCatalogEntry,
  tasksRoot: string,
  revision: string,
): Record<string, unknown> {
  return {
    include: join(tasksRoot, entry.yaml),
    task: revisionTaskName(entry.id),
    tag: [],
    dataset_kwargs: { revision },
  };
}

/** Log lines by which `datasets`/`huggingface_hub` say a dataset could not be loaded. */
const DATASET_MISSING =
  /OfflineModeIsEnabled|Couldn't reach '[^']*' on the Hub|Couldn't find cache for|is not cached in|DatasetNotFoundError|LocalEntryNotFoundError|doesn't exist on the Hub|Couldn't find a dataset script|(Connection|Timeout)Error[^\n]*huggingface|Max retries exceeded[^\n]*huggingface|RevisionNotFoundError/;

export function looksLikeMissingDataset(logTail: string): boolean {
  return DATASET_MISSING.test(logTail);
}

/** The failure message when lm-eval could not load a task's hub dataset: which, where, and the ways out. */
export function missingDatasetMessage(
  entry: LmEvalCatalogEntry,
  hf: Pick<HfEnvironment, 'offline' | 'datasetsCache' | 'endpoint'>,
  detail: string | undefined,
  revision?: string,
): string {
  const dataset = [entry.dataset.path, entry.dataset.name].filter(Boolean).join(', config ');
  const where = hf.offline
    ? `in the datasets cache ${hf.datasetsCache} only (offline: the hub was not asked)`
    : `in the datasets cache ${hf.datasetsCache} and on ${hf.endpoint}`;
  return (
    `lm-eval could not load the dataset of task '${entry.id}' (${dataset || 'unknown'}` +
    `${revision ? `, revision ${revision}` : ''}); it looked ${where}` +
    `${detail ? `: ${detail}` : '.'} ` +
    `Either let the hub download it (provider option offline: false, or unset HF_HUB_OFFLINE/HF_DATASETS_OFFLINE; ` +
    `with network access to ${hf.endpoint} or an HF_ENDPOINT mirror), or fill the cache where lm-eval runs ` +
    `with \`evalhub datasets pull ${entry.id}${revision ? ` --revision ${revision}` : ''}\` ` +
    `(same HF_HOME/HF_DATASETS_CACHE), or run the task over your own copy with config.dataset_path.`
  );
}
