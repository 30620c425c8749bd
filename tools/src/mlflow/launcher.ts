import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';

/** Minimal structured logger accepted by the launcher (pino-compatible subset). */
export interface LauncherLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface StartMlflowOptions {
  /** Server worker processes (default 1: tests share a 2-core machine; MLflow's own default is 4). */
  workers?: number;
  /** Python interpreter of the venv holding `mlflow`. Default: the output of tools/python/setup-env.sh. */
  python?: string;
  /** Folder for the SQLite database and the artifacts. Default: a fresh temp folder. */
  dir?: string;
  /** Listen on this port instead of a free one (e.g. to restart a stopped server where clients expect it). */
  port?: number;
  /** How long to wait for `GET /health` to answer `OK` (default 120 s). */
  startTimeoutMs?: number;
  /** Extra `mlflow server` arguments (e.g. `['--app-name', 'basic-auth']`). */
  extraArgs?: string[];
  /** Extra environment for the server process. */
  env?: Record<string, string>;
  logger?: LauncherLogger;
}

export interface MlflowServer {
  /** `http://127.0.0.1:<port>` — no trailing slash. */
  trackingUri: string;
  port: number;
  dir: string;
  pid: number;
  /** Milliseconds from spawn to the first healthy `/health`. */
  startupMs: number;
  /** Stops the whole process group (SIGTERM, then SIGKILL after a grace period). Idempotent. */
  stop(): Promise<void>;
}

/** Repository root: this file lives in tools/src/mlflow (sources) or tools/dist/mlflow (build). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const STDERR_TAIL_BYTES = 8_192;
const MAX_PORT_ATTEMPTS = 3;
const STOP_GRACE_MS = 10_000;
const HEALTH_POLL_MS = 250;

/**
 * Runs one of the repository's venv setup scripts (`tools/python/setup-env.sh` and its kin: idempotent,
 * they print the venv's python on their last line) and returns that python.
 */
export async function runVenvScript(script: string): Promise<string> {
  const stdout = await new Promise<string>((ok, fail) => {
    execFile('bash', [join(repoRoot, script)], { maxBuffer: 16 * 1024 * 1024 }, (err, out, errOut) => {
      if (err) fail(new Error(`${script} failed (${err.message}): ${tail(String(errOut), 2_000)}`));
      else ok(String(out));
    });
  });
  const python = stdout.trim().split('\n').pop()?.trim();
  if (!python || !existsSync(python)) {
    throw new Error(`${script} did not print a usable python path (got ${JSON.stringify(python)})`);
  }
  return python;
}

/** Runs tools/python/setup-env.sh (idempotent; installs on first use) and returns the venv's python. */
export function resolvePython(): Promise<string> {
  return runVenvScript('tools/python/setup-env.sh');
}

/**
 * Asks the OS for a free TCP port on 127.0.0.1 (listen on port 0, read it, close).
 * There is a small race: another process may take the port between close() and MLflow's bind.
 * startMlflowServer detects EADDRINUSE in the server's output and retries with a new port.
 */
export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? ok(port) : fail(new Error('could not read a free port'))));
    });
  });
}

/** Environment for the server: nothing phones home, no client settings leak into the server. */
function serverEnv(extra: Record<string, string> | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    // Client-side settings (credentials, tracking URI, workspace) are not for the server; the
    // server refuses to start when MLFLOW_WORKSPACE is set.
    if (k.startsWith('MLFLOW_TRACKING_') || k === 'MLFLOW_WORKSPACE') continue;
    env[k] = v;
  }
  Object.assign(env, {
    MLFLOW_DISABLE_TELEMETRY: 'true',
    DO_NOT_TRACK: 'true',
    // No background job runner (huey consumers): not needed for tracking, saves CPU and memory.
    MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'false',
    PYTHONUNBUFFERED: '1',
    PYTHONDONTWRITEBYTECODE: '1',
    HF_HUB_OFFLINE: '1',
  });
  return Object.assign(env, extra ?? {});
}

class Tail {
  private buf = '';
  push(chunk: Buffer | string): void {
    this.buf = tail(this.buf + chunk.toString(), STDERR_TAIL_BYTES);
  }
  get text(): string {
    return this.buf;
  }
}

function tail(s: string, n: number): string {
  return s.length > n ? s.slice(s.length - n) : s;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // group already gone
  }
}

async function probeHealth(trackingUri: string): Promise<boolean> {
  try {
    const res = await request(`${trackingUri}/health`, {
      method: 'GET',
      headersTimeout: 5_000,
      bodyTimeout: 5_000,
    });
    const body = await res.body.text();
    return res.statusCode === 200 && body.trim() === 'OK';
  } catch {
    return false;
  }
}

class StartError extends Error {
  constructor(
    message: string,
    readonly addressInUse: boolean,
  ) {
    super(message);
  }
}

async function startOnce(
  mlflowCmd: { file: string; args: string[] },
  dir: string,
  port: number,
  opts: StartMlflowOptions,
): Promise<MlflowServer> {
  const args = [
    ...mlflowCmd.args,
    'server',
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--workers',
    String(opts.workers ?? 1),
    '--backend-store-uri',
    `sqlite:///${join(dir, 'mlflow.db')}`,
    '--artifacts-destination',
    join(dir, 'artifacts'),
    '--serve-artifacts',
    ...(opts.extraArgs ?? []),
  ];
  const started = Date.now();
  const child = spawn(mlflowCmd.file, args, {
    cwd: dir,
    env: serverEnv(opts.env),
    detached: true, // own process group: stop() kills the CLI and its uvicorn workers together
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = new Tail();
  child.stdout?.on('data', (c: Buffer) => out.push(c));
  child.stderr?.on('data', (c: Buffer) => out.push(c));

  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let spawnError: Error | undefined;
  const exitPromise = new Promise<void>((ok) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      ok();
    });
    child.on('error', (err) => {
      spawnError = err;
      exited ??= { code: null, signal: null };
      ok();
    });
  });
  // If this Node process exits without calling stop(), do not leave an orphaned server behind.
  const onExit = () => killGroup(child, 'SIGKILL');
  process.on('exit', onExit);

  const trackingUri = `http://127.0.0.1:${port}`;
  const timeoutMs = opts.startTimeoutMs ?? 120_000;
  const deadline = started + timeoutMs;
  const fail = async (why: string): Promise<never> => {
    killGroup(child, 'SIGKILL');
    await Promise.race([exitPromise, new Promise((ok) => setTimeout(ok, 5_000).unref())]);
    process.off('exit', onExit);
    const text = out.text;
    const inUse = /address already in use|Errno 98|EADDRINUSE/i.test(text);
    throw new StartError(
      `MLflow server (${mlflowCmd.file}) ${why}.\n--- last server output ---\n${text.trim() || '(none)'}`,
      inUse,
    );
  };

  for (;;) {
    if (spawnError) return fail(`could not be spawned: ${spawnError.message}`);
    if (exited) return fail(`exited before becoming healthy (code ${exited.code}, signal ${exited.signal})`);
    if (await probeHealth(trackingUri)) break;
    if (Date.now() > deadline) return fail(`did not answer GET /health within ${timeoutMs} ms`);
    await Promise.race([exitPromise, new Promise((ok) => setTimeout(ok, HEALTH_POLL_MS))]);
  }
  const startupMs = Date.now() - started;
  opts.logger?.info({ trackingUri, pid: child.pid, dir, startupMs }, 'mlflow server ready');

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (!exited) {
        killGroup(child, 'SIGTERM');
        const timer = setTimeout(() => killGroup(child, 'SIGKILL'), STOP_GRACE_MS);
        await exitPromise;
        clearTimeout(timer);
        // The CLI may exit before its uvicorn worker: make sure nothing of the group survives.
        killGroup(child, 'SIGKILL');
      }
      process.off('exit', onExit);
    })();
    return stopping;
  };
  return { trackingUri, port, dir, pid: child.pid ?? -1, startupMs, stop };
}

/**
 * Starts a real `mlflow server` (SQLite backend, proxied artifacts) on 127.0.0.1 and a free port,
 * and resolves once `GET /health` answers `OK`. Throws with the server's output tail when the
 * server dies or does not become healthy in time. Call `stop()` when done.
 */
export async function startMlflowServer(opts: StartMlflowOptions = {}): Promise<MlflowServer> {
  const python = opts.python ?? (await resolvePython());
  const binDir = dirname(python);
  const cli = join(binDir, 'mlflow');
  const mlflowCmd = existsSync(cli) ? { file: cli, args: [] } : { file: python, args: ['-m', 'mlflow'] };
  const dir = opts.dir ? resolve(opts.dir) : await mkdtemp(join(tmpdir(), 'evalhub-mlflow-'));
  await mkdir(join(dir, 'artifacts'), { recursive: true });

  let lastError: unknown;
  if (opts.port !== undefined) return startOnce(mlflowCmd, dir, opts.port, opts);
  for (let attempt = 1; attempt <= MAX_PORT_ATTEMPTS; attempt++) {
    const port = await freePort();
    try {
      return await startOnce(mlflowCmd, dir, port, opts);
    } catch (err) {
      lastError = err;
      if (err instanceof StartError && err.addressInUse && attempt < MAX_PORT_ATTEMPTS) {
        opts.logger?.warn({ port, attempt }, 'port taken before mlflow could bind it; retrying');
        continue;
      }
      throw err;
    }
  }
  throw lastError;
}
