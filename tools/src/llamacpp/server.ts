/**
 * A real OpenAI-compatible model server nobody in this project wrote: llama-cpp-python's server
 * (llama.cpp underneath), serving a tiny randomly initialised llama model written at start with the
 * `gguf` package (tools/llamacpp/make-tiny-gguf.py). Loopback only, on a free port.
 *
 * The venv comes from tools/llamacpp/setup-venv.sh (llama-cpp-python built from its source
 * distribution, the wheel cached outside the repository).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, repoRoot, runVenvScript } from '../mlflow/launcher.js';

/** Served model names: one for completions/chat, one (same weights) with embeddings enabled. */
export const LLAMACPP_MODEL = 'tiny-llama';
export const LLAMACPP_EMBEDDING_MODEL = 'tiny-llama-embed';

export interface LlamaCppServer {
  /** Server root, e.g. http://127.0.0.1:PORT (the OpenAI API is under /v1). */
  url: string;
  /** The GGUF file served. */
  modelPath: string;
  /** Server output so far (for failure messages). */
  output(): string;
  close(): Promise<void>;
}

/** The llama.cpp venv's python: EVALHUB_LLAMACPP_PYTHON, else the repo's .venv-llamacpp once set up. */
export function llamaCppPython(): string | undefined {
  const fromEnv = process.env.EVALHUB_LLAMACPP_PYTHON;
  if (fromEnv) return fromEnv;
  // the stamp is written only once setup-venv.sh has installed and imported everything
  const venv = join(repoRoot, '.venv-llamacpp');
  return existsSync(join(venv, '.evalhub-requirements.sha256')) ? join(venv, 'bin', 'python') : undefined;
}

/** Runs tools/llamacpp/setup-venv.sh (idempotent; builds the wheel only when it is not cached). */
function setupLlamaCppVenv(): Promise<string> {
  return runVenvScript('tools/llamacpp/setup-venv.sh');
}

function run(python: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(python, args, { maxBuffer: 16 << 20 }, (err, _out, stderr) =>
      err ? reject(new Error(`${args[0]} failed: ${String(stderr).slice(-2000)}`)) : resolve(),
    );
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

export async function startLlamaCppServer(
  options: { python?: string; timeoutMs?: number } = {},
): Promise<LlamaCppServer> {
  const python = options.python ?? llamaCppPython() ?? (await setupLlamaCppVenv());
  const dir = await mkdtemp(join(tmpdir(), 'evalhub-llamacpp-'));
  const modelPath = join(dir, 'tiny-llama.gguf');
  await run(python, [join(repoRoot, 'tools', 'llamacpp', 'make-tiny-gguf.py'), modelPath]);
  const port = await freePort();
  const common = { model: modelPath, n_ctx: 512, n_threads: 1, n_batch: 512, verbose: false };
  const config = {
    host: '127.0.0.1',
    port,
    models: [
      // logits_all: logprobs for every position, so echo + logprobs can be answered at all
      { ...common, model_alias: LLAMACPP_MODEL, logits_all: true },
      { ...common, model_alias: LLAMACPP_EMBEDDING_MODEL, embedding: true },
    ],
  };
  const configFile = join(dir, 'server.json');
  await writeFile(configFile, JSON.stringify(config, null, 2));

  let output = '';
  const child = spawn(python, ['-m', 'llama_cpp.server', '--config_file', configFile], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '', HOME: dir, PYTHONUNBUFFERED: '1', HF_HUB_OFFLINE: '1' },
  });
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

  const url = `http://127.0.0.1:${port}`;
  const close = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      killGroup(child, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  const until = Date.now() + (options.timeoutMs ?? 120_000);
  let ready = false;
  while (!ready) {
    if (child.exitCode !== null) {
      await close();
      throw new Error(`llama_cpp.server exited with code ${child.exitCode}:\n${output}`);
    }
    if (Date.now() > until) {
      await close();
      throw new Error(`llama_cpp.server did not answer on ${url} in time:\n${output}`);
    }
    try {
      const res = await fetch(`${url}/v1/models`, { signal: AbortSignal.timeout(2_000) });
      ready = res.ok;
      await res.body?.cancel();
    } catch {
      // not listening yet
    }
    if (!ready) await new Promise((r) => setTimeout(r, 250));
  }
  return { url, modelPath, output: () => output, close };
}
