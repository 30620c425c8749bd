import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { repoRoot } from '../mlflow/launcher.js';

/** One question of the project's ARC test set (packages/provider-lmeval/test/data/arc-sample.jsonl). */
export interface ArcRow {
  question: string;
  [field: string]: unknown;
}

/** The project's ARC test set, the source the benchmarks cycle to write larger task files. */
export async function arcSampleRows(): Promise<ArcRow[]> {
  return (await readFile(join(repoRoot, 'packages/provider-lmeval/test/data/arc-sample.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as ArcRow);
}
