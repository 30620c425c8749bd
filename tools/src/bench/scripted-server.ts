import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { repoRoot } from '../mlflow/launcher.js';

/**
 * Starts the server the HTTP benchmarks load, in a child process: the scripted provider, SQLite in a
 * temp folder, tracker `none` (packages/server/test/support/serve-scripted.ts, with `args` added;
 * `env` adds to its environment, e.g. EVALHUB_STORE=postgres and EVALHUB_DATABASE_URL).
 * Resolves with its URL once it listens.
 */
export async function startScriptedServer(
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<{ url: string; child: ChildProcess }> {
  const script = join(repoRoot, 'packages', 'server', 'test', 'support', 'serve-scripted.ts');
  const child = spawn(
    process.execPath,
    ['--conditions=@evalhub/source', '--import', 'tsx', script, '--log-level', 'warn', ...args],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } },
  );
  for await (const line of createInterface({ input: child.stdout! })) {
    const parsed = JSON.parse(line) as { url?: string };
    if (parsed.url) return { url: parsed.url, child };
  }
  throw new Error('the scripted server exited before it listened');
}
