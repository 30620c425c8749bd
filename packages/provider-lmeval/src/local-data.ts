import { realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { LmEvalCatalogEntry } from './catalog-types.js';

export type DatasetPathResult = { ok: true; path: string } | { ok: false; message: string };

/**
 * Resolves a `dataset_path` against the data root: relative paths resolve from the root, symlinks
 * are followed (realpath), and the result must be a regular file inside the root's real path.
 */
export function resolveDatasetPath(dataRoot: string | undefined, datasetPath: string): DatasetPathResult {
  if (!dataRoot)
    return { ok: false, message: 'dataset_path is not allowed: the provider has no data root configured.' };
  if (datasetPath.includes('\0')) return { ok: false, message: 'dataset_path contains a NUL byte.' };
  let root: string;
  try {
    root = realpathSync(dataRoot);
  } catch {
    return { ok: false, message: `The data root '${dataRoot}' does not exist.` };
  }
  const candidate = isAbsolute(datasetPath) ? resolve(datasetPath) : resolve(root, datasetPath);
  if (!isInside(root, candidate))
    return { ok: false, message: `dataset_path '${datasetPath}' is outside the data root.` };
  let real: string;
  try {
    real = realpathSync(candidate);
  } catch {
    return { ok: false, message: `dataset_path '${datasetPath}' does not exist under the data root.` };
  }
  if (!isInside(root, real))
    return { ok: false, message: `dataset_path '${datasetPath}' resolves outside the data root.` };
  if (!statSync(real).isFile()) return { ok: false, message: `dataset_path '${datasetPath}' is not a file.` };
  if (!/\.jsonl?$/i.test(real))
    return { ok: false, message: `dataset_path '${datasetPath}' must be a .jsonl (or .json) file.` };
  return { ok: true, path: real };
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' ? false : !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

/** Name of the generated local-data task (never clashes with lm-eval's own tasks). */
export function localTaskName(benchmarkId: string): string {
  return `evalhub_local_${benchmarkId.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

/**
 * The task config of a local-data run: the catalog task's prompt template and scoring over one JSONL
 * file (HF datasets' packaged `json` builder, so nothing is downloaded). Written as JSON, which
 * lm-eval's YAML loader reads as YAML.
 */
export function buildLocalTaskConfig(
  entry: LmEvalCatalogEntry,
  dataFile: string,
  options: { numFewshot?: number } = {},
): Record<string, unknown> {
  if (!entry.local_template) throw new Error(`Task '${entry.id}' cannot run over local data.`);
  const config: Record<string, unknown> = {
    task: localTaskName(entry.id),
    dataset_path: 'json',
    dataset_kwargs: { data_files: { train: dataFile } },
    test_split: 'train',
    ...entry.local_template,
    metadata: { version: entry.version ?? 1.0, source_task: entry.id },
  };
  const shots = options.numFewshot ?? entry.num_fewshot;
  // the file is the only split: few-shot examples come from it (lm-eval skips the current document)
  if (shots > 0) config.fewshot_split = 'train';
  return config;
}

/** Task names declared by the YAML files of a custom task folder (`task: name` / `group: name` lines). */
export function scanTaskNames(yamlTexts: Iterable<string>): string[] {
  const names = new Set<string>();
  for (const text of yamlTexts) {
    for (const match of text.matchAll(/^(?:task|group):\s*["']?([A-Za-z0-9_.:-]+)["']?\s*(?:#.*)?$/gm)) {
      if (match[1]) names.add(match[1]);
    }
  }
  return [...names].sort();
}
