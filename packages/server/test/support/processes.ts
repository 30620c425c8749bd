import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** The repository root (the CLI runs from there, as a user's shell would). */
export const REPO_ROOT = join(import.meta.dirname, '..', '..', '..', '..');

/** Node arguments that run the `evalhub` CLI from its TypeScript source. */
export const CLI_NODE_ARGS = [
  '--conditions=@evalhub/source',
  '--import',
  'tsx',
  join(REPO_ROOT, 'packages', 'server', 'src', 'cli.ts'),
];

export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command from the repository root to its end; its exit code and output. */
export function runProcess(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs `evalhub <args>` (this environment plus `env`) to its end. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<ProcessResult> {
  return runProcess(process.execPath, [...CLI_NODE_ARGS, ...args], { ...process.env, ...env });
}
