import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { WorkerSpec } from '../attempts.js';
import { CallbackClient } from './callback-client.js';
import { PathMap } from './paths.js';

/** Variables the provider's command inherits from the container; everything else comes from the spec. */
const INHERITED_ENV = ['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TMPDIR', 'TZ'];
const TEXT_REWRITE_LIMIT = 4 * 1024 * 1024;
const LINE_FLUSH_MS = 250;

export interface WorkerEnv {
  callbackUrl: string;
  attemptId: string;
  token: string;
  /** The pod's writable folder (an emptyDir). */
  workDir: string;
}

export function workerEnvFrom(env: NodeJS.ProcessEnv): WorkerEnv {
  const need = (k: string): string => {
    const v = env[k];
    if (!v)
      throw new Error(`${k} is not set: the worker runs inside a Job made by @evalhub/runtime-kubernetes`);
    return v;
  };
  return {
    callbackUrl: need('EVALHUB_CALLBACK_URL'),
    attemptId: need('EVALHUB_ATTEMPT_ID'),
    token: need('EVALHUB_WORKER_TOKEN'),
    workDir: env.EVALHUB_WORKER_DIR ?? '/work',
  };
}

async function listFiles(dir: string, out: string[] = []): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const full = join(dir, e.name);
    if (e.isDirectory()) await listFiles(full, out);
    else if (e.isFile()) out.push(full);
  }
  return out;
}

/**
 * The in-pod worker around a provider's command: fetches the spec and the input files from the hub,
 * runs the command with the hub's paths mapped into the work folder, forwards its output lines
 * (and prints them, for the pod log), sends the output folders back and reports the exit.
 * Returns the exit code the container should end with.
 */
export async function runWorker(
  w: WorkerEnv,
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream; baseEnv: NodeJS.ProcessEnv },
): Promise<number> {
  const client = new CallbackClient(w.callbackUrl, w.attemptId, w.token);
  const say = (text: string): void => void io.stderr.write(`[evalhub worker] ${text}\n`);
  const spec = await client.json<WorkerSpec>('GET', 'spec');
  const paths = new PathMap(join(w.workDir, 'root'), PathMap.foldersOf(spec));

  // inputs
  const fetched = new Map<string, number>();
  let bytes = 0;
  for (const input of spec.inputs) {
    const target = paths.local(input.path);
    await mkdir(dirname(target), { recursive: true });
    const res = await client.call('GET', 'files', { query: { path: input.path } });
    if (!res.body) throw new Error(`no body for input ${input.path}`);
    await pipeline(
      Readable.fromWeb(res.body as import('node:stream/web').ReadableStream),
      createWriteStream(target),
    );
    if (input.size <= TEXT_REWRITE_LIMIT) {
      const text = await readFile(target, 'utf8');
      if (!text.includes('\u0000')) {
        const rewritten = paths.rewrite(text);
        if (rewritten !== text) await writeFile(target, rewritten);
      }
    }
    await chmod(target, input.mode || 0o644);
    fetched.set(target, (await stat(target)).mtimeMs);
    bytes += input.size;
  }
  for (const o of spec.outputs) await mkdir(paths.local(o), { recursive: true });
  const cwd = spec.cwd ? paths.local(spec.cwd) : w.workDir;
  await mkdir(cwd, { recursive: true });
  say(`fetched ${spec.inputs.length} input file(s), ${bytes} bytes; running ${spec.command}`);

  // the command
  const env: Record<string, string> = {};
  for (const k of INHERITED_ENV) {
    const v = io.baseEnv[k];
    if (v !== undefined) env[k] = v;
  }
  for (const [k, v] of Object.entries(spec.env)) env[k] = paths.rewrite(v);
  for (const k of ['HOME', 'TMPDIR']) if (env[k]) await mkdir(env[k], { recursive: true });
  const child = spawn(
    paths.rewrite(spec.command),
    spec.args.map((a) => paths.rewrite(a)),
    {
      cwd,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const forward = (sig: NodeJS.Signals): void => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, sig);
    } catch {
      // gone
    }
  };
  process.once('SIGTERM', () => forward('SIGTERM'));
  process.once('SIGINT', () => forward('SIGINT'));

  let batch: { stream: 'stdout' | 'stderr'; text: string }[] = [];
  let sending: Promise<void> = Promise.resolve();
  const flush = (): void => {
    if (batch.length === 0) return;
    const lines = batch;
    batch = [];
    sending = sending
      .then(() => client.call('POST', 'lines', { json: { lines } }).then(() => undefined))
      .catch(() => undefined);
  };
  const timer = setInterval(flush, LINE_FLUSH_MS);
  const pipeLines = (
    stream: NodeJS.ReadableStream,
    name: 'stdout' | 'stderr',
    out: NodeJS.WritableStream,
  ): void => {
    let pending = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      out.write(chunk);
      pending += chunk;
      const parts = pending.split(/\r\n|\n|\r/);
      pending = parts.pop() ?? '';
      for (const text of parts) if (text.length > 0) batch.push({ stream: name, text });
    });
    stream.on('end', () => {
      if (pending.length > 0) batch.push({ stream: name, text: pending });
    });
  };
  pipeLines(child.stdout, 'stdout', io.stdout);
  pipeLines(child.stderr, 'stderr', io.stderr);
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('error', (err) => {
      io.stderr.write(`Cannot run '${spec.command}': ${err.message}\n`);
      resolve({ code: 127, signal: null });
    });
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  clearInterval(timer);
  flush();
  await sending;

  // outputs: new or changed files only
  let sent = 0;
  for (const o of spec.outputs) {
    for (const file of await listFiles(paths.local(o))) {
      const s = await stat(file);
      const before = fetched.get(file);
      if (before !== undefined && before === s.mtimeMs) continue;
      await client.call('PUT', 'files', {
        query: { path: paths.hub(file) },
        body: () => createReadStream(file) as unknown as NonNullable<RequestInit['body']>,
      });
      sent++;
    }
  }
  say(`command ended (${exit.signal ?? `exit code ${exit.code}`}); sent ${sent} output file(s)`);
  await client.call('POST', 'done', { json: { exitCode: exit.code, signal: exit.signal } });
  return exit.code ?? 128 + 9;
}
