import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { isEvalHubError } from '../errors.js';
import { LocalRuntime } from './local-runtime.js';
import { MARKER_ENV, ProcessJournal } from './process-journal.js';

const tempRoot = mkdtempSync(join(tmpdir(), 'evalhub-runtime-'));
afterAll(() => rmSync(tempRoot, { recursive: true, force: true }));
const dir = (): string => mkdtempSync(join(tempRoot, 't-'));

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Resolves once `check` holds, polling; rejects after `ms`. */
async function eventually(check: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

function exec(runtime: LocalRuntime, command: string, args: string[], signal = new AbortController().signal) {
  const logFile = join(dir(), 'out.log');
  return { logFile, result: runtime.exec({ command, args, logFile, signal, killGraceMs: 10_000 }) };
}

describe('LocalRuntime', () => {
  it("reports the command's own exit code and the signal that ended it", async () => {
    const rt = new LocalRuntime();
    expect(await exec(rt, 'sh', ['-c', 'exit 3']).result).toMatchObject({ exitCode: 3, signal: null });
    expect(await exec(rt, 'sh', ['-c', 'kill -9 $$']).result).toMatchObject({
      exitCode: null,
      signal: 'SIGKILL',
    });
  });

  it('ends every short command: the wrapper never waits on its own watcher', async () => {
    // A command that exits at once used to race the watcher's start: a SIGTERM sent before the
    // watcher subshell had reset its traps was lost and the wrapper waited on it for ever.
    const rt = new LocalRuntime();
    const runs = Array.from({ length: 8 }, async () => {
      for (let i = 0; i < 40; i++)
        expect(await exec(rt, 'sh', ['-c', 'echo hi']).result).toMatchObject({ exitCode: 0 });
    });
    await Promise.all(runs);
  }, 120_000);

  it('refuses a command that is not installed, before starting anything', async () => {
    const err = await exec(new LocalRuntime(), 'evalhub-no-such-command', []).result.catch((e: unknown) => e);
    expect(isEvalHubError(err) && err.code).toBe('runtime_spawn_failed');
    expect(String((err as Error).message)).toMatch(/not found/);
  });

  it('gives an aborted command its SIGTERM grace period and keeps its output', async () => {
    const abort = new AbortController();
    const { logFile, result } = exec(
      new LocalRuntime(),
      'sh',
      ['-c', 'trap "echo got-term; exit 0" TERM; echo ready; while :; do sleep 0.05; done'],
      abort.signal,
    );
    await eventually(() => {
      try {
        return readFileSync(logFile, 'utf8').includes('ready');
      } catch {
        return false;
      }
    });
    abort.abort();
    expect(await result).toMatchObject({ aborted: true });
    expect(readFileSync(logFile, 'utf8')).toMatch(/got-term/);
  });

  it('kills the command when the hub process is SIGKILLed (the watchdog), and journals it meanwhile', async () => {
    const state = dir();
    const pidFile = join(dir(), 'pid');
    // A real hub-like process: it runs a long command through the runtime, then we SIGKILL it.
    const script = join(dir(), 'hub.mts');
    writeFileSync(
      script,
      [
        `import { LocalRuntime } from ${JSON.stringify(fileURLToPath(new URL('./local-runtime.ts', import.meta.url)))};`,
        `const rt = new LocalRuntime({ stateDir: ${JSON.stringify(state)} });`,
        `await rt.exec({ command: 'sh', args: ['-c', 'echo $$ > ${pidFile}.tmp && mv ${pidFile}.tmp ${pidFile}; exec sleep 300'], logFile: ${JSON.stringify(join(state, 'log'))}, signal: new AbortController().signal });`,
      ].join('\n'),
    );
    const hub = spawn(process.execPath, ['--import', 'tsx', script], { stdio: 'ignore' });
    await eventually(() => {
      try {
        return readFileSync(pidFile, 'utf8').trim().length > 0;
      } catch {
        return false;
      }
    }, 60_000);
    const commandPid = Number(readFileSync(pidFile, 'utf8'));
    expect(alive(commandPid)).toBe(true);
    hub.kill('SIGKILL');
    await eventually(() => !alive(commandPid));
    // The journal entry it left is cleared by the next start without killing anything else.
    expect(await new LocalRuntime({ stateDir: state }).recover()).toEqual({ reaped: 0 });
  });

  it("recover() ends a journaled group that survived, verified by its marker, and nothing that isn't", async () => {
    const state = dir();
    const start = (marker: string) =>
      spawn('sleep', ['300'], {
        detached: true,
        stdio: 'ignore',
        env: { ...process.env, [MARKER_ENV]: marker },
      });
    const journal = new ProcessJournal(state);
    const survivor = start('m-1');
    const stranger = start('someone-else');
    await journal.record('m-1', survivor.pid!, 'sleep');
    // A journal entry naming the stranger's group with another marker must not kill it (pid reuse).
    await journal.record('m-2', stranger.pid!, 'sleep');
    const exited = new Promise((r) => survivor.once('exit', r));
    expect(await new LocalRuntime({ stateDir: state }).recover()).toEqual({ reaped: 1 });
    await exited;
    expect(alive(stranger.pid!)).toBe(true);
    process.kill(-stranger.pid!, 'SIGKILL');
  });
});
