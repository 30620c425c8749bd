import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { BenchmarkFailedError } from '../errors.js';
import type { ExecRequest, ExecResult, Runtime } from '../extension-points/runtime.js';

/** Variables a child inherits from the hub; everything else must be passed explicitly. */
const INHERITED_ENV = ['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TMPDIR', 'TZ', 'SYSTEMROOT'];

const DEFAULT_KILL_GRACE_MS = 5_000;

export interface LocalRuntimeOptions {
  /** Environment the hub was started with; only INHERITED_ENV keys are passed on. */
  baseEnv?: NodeJS.ProcessEnv;
}

/**
 * Runs provider commands as local child processes, each in its own process group, with output
 * appended to the request's log file. Abort (cancel or timeout) sends SIGTERM to the whole group,
 * then SIGKILL after a grace period; stragglers of a finished leader are killed too, so no process
 * outlives its benchmark.
 */
export class LocalRuntime implements Runtime {
  readonly name = 'local';
  private readonly baseEnv: Record<string, string>;

  constructor(options: LocalRuntimeOptions = {}) {
    const source = options.baseEnv ?? process.env;
    this.baseEnv = {};
    for (const key of INHERITED_ENV) {
      const value = source[key];
      if (value !== undefined) this.baseEnv[key] = value;
    }
  }

  async exec(request: ExecRequest): Promise<ExecResult> {
    await mkdir(dirname(request.logFile), { recursive: true });
    const log = createWriteStream(request.logFile, { flags: 'a' });
    const started = performance.now();
    if (request.signal.aborted) {
      log.end();
      return { exitCode: null, signal: null, aborted: true, durationMs: 0 };
    }

    const child = spawn(request.command, request.args, {
      cwd: request.cwd,
      env: { ...this.baseEnv, ...request.env },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });

    const killGroup = (sig: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        // the group is already gone
      }
    };

    let aborted = false;
    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      aborted = true;
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), request.killGraceMs ?? DEFAULT_KILL_GRACE_MS);
      killTimer.unref();
    };
    request.signal.addEventListener('abort', onAbort, { once: true });

    const pipeLines = (stream: NodeJS.ReadableStream, name: 'stdout' | 'stderr'): void => {
      let pending = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        log.write(chunk);
        if (!request.onLine) return;
        pending += chunk;
        // progress bars redraw with \r: treat it as a line end too
        const parts = pending.split(/\r\n|\n|\r/);
        pending = parts.pop() ?? '';
        for (const line of parts) if (line.length > 0) request.onLine(line, name);
      });
      stream.on('end', () => {
        if (request.onLine && pending.length > 0) request.onLine(pending, name);
      });
    };
    pipeLines(child.stdout, 'stdout');
    pipeLines(child.stderr, 'stderr');

    try {
      return await new Promise<ExecResult>((resolve, reject) => {
        child.once('error', (err: NodeJS.ErrnoException) => {
          reject(
            new BenchmarkFailedError(
              err.code === 'ENOENT'
                ? `Cannot run '${request.command}': not found. Install it or set the provider's path option.`
                : `Cannot run '${request.command}': ${err.message}`,
              { code: 'runtime_spawn_failed', cause: err },
            ),
          );
        });
        child.once('close', (code, sig) => {
          resolve({ exitCode: code, signal: sig, aborted, durationMs: performance.now() - started });
        });
      });
    } finally {
      request.signal.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      killGroup('SIGKILL');
      await new Promise<void>((resolve) => log.end(resolve));
    }
  }
}
