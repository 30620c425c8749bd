import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { BenchmarkFailedError } from '../errors.js';
import type { ExecRequest, ExecResult, Runtime } from '../extension-points/runtime.js';
import { MARKER_ENV, ProcessJournal } from './process-journal.js';
import { resolveCommand } from './resolve-command.js';
import { fromShellStatus, WATCHDOG_SCRIPT } from './watchdog.js';

/** Variables a child inherits from the hub; everything else must be passed explicitly. */
const INHERITED_ENV = ['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TMPDIR', 'TZ', 'SYSTEMROOT'];

const DEFAULT_KILL_GRACE_MS = 5_000;

export interface LocalRuntimeOptions {
  /** Environment the hub was started with; only INHERITED_ENV keys are passed on. */
  baseEnv?: NodeJS.ProcessEnv;
  /**
   * Folder where running process groups are journaled (the hub uses `<data_dir>/runtime/local`), so
   * that `recover()` after a crash ends what is left. Without it only the watchdog guards.
   */
  stateDir?: string;
}

/**
 * Runs provider commands as local child processes, each in its own process group, with output
 * appended to the request's log file. Abort (cancel or timeout) sends SIGTERM to the whole group,
 * then SIGKILL after a grace period; stragglers of a finished leader are killed too, so no process
 * outlives its benchmark. Each command runs under a watchdog that kills its group when the hub
 * process ends in any way, and is journaled so the next hub ends whatever still survived.
 */
export class LocalRuntime implements Runtime {
  readonly name = 'local';
  private readonly baseEnv: Record<string, string>;
  private readonly journal: ProcessJournal | undefined;

  constructor(options: LocalRuntimeOptions = {}) {
    const source = options.baseEnv ?? process.env;
    this.baseEnv = {};
    for (const key of INHERITED_ENV) {
      const value = source[key];
      if (value !== undefined) this.baseEnv[key] = value;
    }
    this.journal = options.stateDir ? new ProcessJournal(options.stateDir) : undefined;
  }

  /** Ends the process groups a previous hub left running (journaled, verified by their marker). */
  async recover(): Promise<{ reaped: number }> {
    return { reaped: (await this.journal?.reap()) ?? 0 };
  }

  async exec(request: ExecRequest): Promise<ExecResult> {
    await mkdir(dirname(request.logFile), { recursive: true });
    const log = createWriteStream(request.logFile, { flags: 'a' });
    const started = performance.now();
    if (request.signal.aborted) {
      log.end();
      return { exitCode: null, signal: null, aborted: true, durationMs: 0 };
    }

    const env = { ...this.baseEnv, ...request.env };
    const executable = await resolveCommand(request.command, env.PATH, request.cwd);
    if (!executable) {
      log.end();
      throw new BenchmarkFailedError(
        `Cannot run '${request.command}': not found. Install it or set the provider's path option.`,
        { code: 'runtime_spawn_failed' },
      );
    }
    const marker = randomUUID();
    const child = spawn('/bin/sh', ['-c', WATCHDOG_SCRIPT, 'evalhub-watchdog', executable, ...request.args], {
      cwd: request.cwd,
      env: { ...env, [MARKER_ENV]: marker },
      detached: true,
      // stdin is the watchdog's lifeline: the hub holds its only writer and never writes.
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin.on('error', () => undefined);
    const journaled =
      child.pid !== undefined && this.journal
        ? this.journal.record(marker, child.pid, request.command).then(
            () => true,
            () => false,
          )
        : Promise.resolve(false);

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
    // The signal may have fired while the command was being looked up: then abort at once.
    if (request.signal.aborted) onAbort();
    else request.signal.addEventListener('abort', onAbort, { once: true });

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
          const status = sig ? { exitCode: code, signal: sig } : fromShellStatus(code);
          resolve({ ...status, aborted, durationMs: performance.now() - started });
        });
      });
    } finally {
      request.signal.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      killGroup('SIGKILL');
      child.stdin.destroy();
      if (await journaled) await this.journal?.remove(marker).catch(() => undefined);
      await new Promise<void>((resolve) => log.end(resolve));
    }
  }
}
