import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { repoRoot } from '../mlflow/launcher.js';

export interface HubProcess {
  /** Base URL of the running hub, e.g. `http://127.0.0.1:41234`. */
  url: string;
  child: ChildProcess;
  /** Resolves with the exit code (or the signal's name) once the process has ended. */
  exited: Promise<number | string>;
  /** Everything the process wrote to stderr so far (its pino log goes to stdout). */
  stderr(): string;
  /** Sends `signal` and resolves once the process has ended. */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

export interface StartHubProcessOptions {
  /** Config file passed with --config. */
  config: string;
  env?: Record<string, string>;
  /**
   * Port to listen on. Default 0 (a free one). A hub that must come back at the same address (the
   * callback URL the Kubernetes Jobs it made were given) takes a port from freePort() and keeps it.
   */
  port?: number;
  /** How long to wait for the server to listen. Default 120 s. */
  timeoutMs?: number;
}

/**
 * Starts `evalhub serve` from the workspace's TypeScript sources as a real process on a free port,
 * the way an operator runs it; resolves once it listens. For tests that stop a hub for real
 * (SIGTERM, SIGKILL, SIGSTOP) and start another on the same data.
 */
export async function startHubProcess(options: StartHubProcessOptions): Promise<HubProcess> {
  const root = repoRoot;
  const cli = join(root, 'packages', 'server', 'src', 'cli.ts');
  const child = spawn(
    process.execPath,
    [
      '--conditions=@evalhub/source',
      '--import',
      'tsx',
      cli,
      'serve',
      '--config',
      options.config,
      '--port',
      String(options.port ?? 0),
      '--host',
      '127.0.0.1',
      '--json',
    ],
    { cwd: root, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = once(child, 'close').then(([code, signal]) => (code ?? signal) as number | string);
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  let url = '';
  try {
    for await (const line of createInterface({ input: child.stdout! })) {
      try {
        const parsed = JSON.parse(line) as { url?: string; msg?: string };
        if (parsed.url && !parsed.msg) {
          url = parsed.url;
          break;
        }
      } catch {
        // a log line that is not JSON
      }
    }
  } finally {
    clearTimeout(timer);
  }
  if (!url) throw new Error(`evalhub serve did not start: ${stderr.slice(-2000)}`);
  child.stdout!.resume();
  return {
    url,
    child,
    exited,
    stderr: () => stderr,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
