/**
 * `evalhub datasets pull`: the command that fills the Hugging Face datasets cache with the data of
 * lm-eval tasks, through the Python helper shipped in this package (run by lm-eval's interpreter).
 */
import { fileURLToPath } from 'node:url';

/** The helper script (the same relative place from src/ and dist/). */
export const DATASETS_HELPER_PATH = fileURLToPath(
  new URL('../python/evalhub_lmeval_datasets.py', import.meta.url),
);

export interface PullRequest {
  python: string;
  tasks: readonly string[];
  revision?: string;
  /** Folder of custom task YAMLs (`tasks_dir`). */
  includePath?: string;
}

/** The helper's command line. Tokens and cache folders go in the environment, never here. */
export function pullDatasetsCommand(request: PullRequest): { command: string; args: string[] } {
  if (request.tasks.length === 0) throw new Error('Name at least one lm-eval task, e.g. arc_easy.');
  for (const task of request.tasks) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/.test(task))
      throw new Error(`'${task}' is not an lm-eval task name.`);
  }
  if (request.revision !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$/.test(request.revision))
    throw new Error(`'${request.revision}' is not a revision (a commit, tag or branch name).`);
  const args = [DATASETS_HELPER_PATH, 'pull', ...request.tasks];
  if (request.revision) args.push('--revision', request.revision);
  if (request.includePath) args.push('--include-path', request.includePath);
  return { command: request.python, args };
}

/** One line of the helper's output. */
export type PullEvent =
  | {
      event: 'pulled';
      task: string;
      dataset: { path?: string; name?: string };
      splits: Record<string, number>;
    }
  | { event: 'failed'; task: string; error: string }
  | { event: 'done'; cache: string; pulled: number; failed: number };

export function parsePullEvent(line: string): PullEvent | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value = JSON.parse(line) as { event?: unknown };
    return value.event === 'pulled' || value.event === 'failed' || value.event === 'done'
      ? (value as PullEvent)
      : undefined;
  } catch {
    return undefined;
  }
}
