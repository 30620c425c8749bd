import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startFixtureModelServer, type FixtureModelServer } from '../src/fixture-model/index.js';
import { freePort, repoRoot, resolvePython } from '../src/mlflow/launcher.js';

/**
 * The README's "Using the hub" commands, run as a user runs them from a clone after
 * `npm ci && npm run demo`: `npx evalhub serve --port 8000`, the `curl` POST and
 * `npx evalhub run request.json --wait`. The lines are taken from README.md itself and run with bash;
 * only the port number 8000 is swapped for a free one. What the README leaves to the environment
 * ("MLFLOW_TRACKING_URI, EVALHUB_MODEL_SERVER_VLLM=…") points at the real MLflow of this test run
 * and at a fixture model server (the stand-in for vLLM) serving the README's model name; the hub's
 * config maps `arc_easy` to the bundled sample data (tools/demo/data/arc_easy.jsonl: the Hugging Face
 * hub is not reachable here).
 */

/** The commands of the fenced bash block under "## Using the hub", one string per command. */
function readmeCommands(): { serve: string; curl: string; run: string; requestBody: string } {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const section = readme.split(/^## /m).find((s) => s.startsWith('Using the hub'));
  const block = section && /```bash\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('README.md has no bash block under "## Using the hub"');
  const lines = block.split('\n');
  const serve = lines.find((l) => l.startsWith('npx evalhub serve'));
  const run = lines.find((l) => l.startsWith('npx evalhub run'));
  const curlStart = lines.findIndex((l) => l.startsWith('curl '));
  const curlEnd = lines.findIndex((l, i) => i > curlStart && l.endsWith("}'"));
  if (!serve || !run || curlStart < 0 || curlEnd < 0) {
    throw new Error(`README.md "Using the hub" lacks the serve, curl or run line:\n${block}`);
  }
  const curl = lines.slice(curlStart, curlEnd + 1).join('\n');
  const requestBody = /-d '(\{[\s\S]*\})'$/.exec(curl)?.[1];
  if (!requestBody) throw new Error(`README.md's curl line has no -d '{…}' body:\n${curl}`);
  return { serve, curl, run, requestBody };
}

function bash(
  script: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['-c', script],
      { cwd, env, maxBuffer: 16 << 20, timeout: 600_000 },
      (err, stdout, stderr) =>
        resolve({
          code: err ? ((err as { code?: number }).code ?? 1) : 0,
          stdout: String(stdout),
          stderr: String(stderr),
        }),
    );
  });
}

async function waitForHealth(url: string, server: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`evalhub serve exited (${server.exitCode}):\n${log()}`);
    const res = await fetch(`${url}/api/v1/health`).catch(() => undefined);
    if (res?.status === 200) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`evalhub serve did not answer /api/v1/health within 120 s:\n${log()}`);
}

const commands = readmeCommands();
let work: string;
let model: FixtureModelServer | undefined;
let env: NodeJS.ProcessEnv;
let port: number;
let server: ChildProcess | undefined;
let serverLog = '';

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'evalhub-readme-'));
  port = await freePort();
  const modelName = /"name": "([^"]+)"/.exec(commands.requestBody)?.[1];
  model = await startFixtureModelServer({ modelName });
  const config = join(work, 'evalhub.config.json');
  writeFileSync(
    config,
    JSON.stringify({
      data_root: join(repoRoot, 'tools', 'demo'),
      plugin_options: { '@evalhub/provider-lmeval': { task_data: { arc_easy: 'data/arc_easy.jsonl' } } },
    }),
  );
  env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(EVALHUB_|MLFLOW_)/.test(k))),
    MLFLOW_TRACKING_URI: inject('mlflowTrackingUri'),
    MLFLOW_EXPERIMENT_PREFIX: `readme-${process.pid}`,
    EVALHUB_MODEL_SERVER_VLLM: model.baseUrl,
    EVALHUB_CONFIG: config,
    EVALHUB_DATA_DIR: join(work, 'data'),
    EVALHUB_PYTHON: await resolvePython(),
    EVALHUB_HOST: '127.0.0.1',
    EVALHUB_URL: `http://127.0.0.1:${port}`,
  };
  // The README's serve line, as bash runs it from the repository root (its own process group, so
  // the test stops npx and the hub under it together).
  server = spawn('bash', ['-c', `exec ${commands.serve.replace('--port 8000', `--port ${port}`)}`], {
    cwd: repoRoot,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout!.on('data', (d: Buffer) => (serverLog += d.toString()));
  server.stderr!.on('data', (d: Buffer) => (serverLog += d.toString()));
  await waitForHealth(`http://127.0.0.1:${port}`, server, () => serverLog);
});

afterAll(async () => {
  if (server?.pid && server.exitCode === null) {
    const exited = new Promise((r) => server!.once('exit', r));
    process.kill(-server.pid, 'SIGTERM');
    await exited;
  }
  await model?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("the README's 'Using the hub' commands", () => {
  it('npx resolves the evalhub bin the workspace install linked (not a build product)', () => {
    const bin = realpathSync(join(repoRoot, 'node_modules', '.bin', 'evalhub'));
    expect(bin).toBe(join(repoRoot, 'packages', 'server', 'bin', 'evalhub.js'));
  });

  it('the curl line submits the spec request to the hub started by `npx evalhub serve`', async () => {
    const res = await bash(commands.curl.replace('localhost:8000', `localhost:${port}`), repoRoot, env);
    expect(res.code, res.stderr).toBe(0);
    const body = JSON.parse(res.stdout) as { id?: string; status?: string; error?: unknown };
    expect(body.error, res.stdout).toBeUndefined();
    expect(body.id).toMatch(/\S/);
  });

  it('`npx evalhub run request.json --wait` follows the evaluation to its score and exits 0', async () => {
    // request.json is the README's own request body; the command runs in a git-ignored folder of
    // the clone, where npx finds the workspace's bin as it does at the root.
    const cwd = join(repoRoot, '.evalhub', `readme-${process.pid}`);
    mkdirSync(cwd, { recursive: true });
    try {
      writeFileSync(join(cwd, 'request.json'), commands.requestBody);
      const res = await bash(commands.run, cwd, env);
      expect(res.code, `${res.stdout}\n${res.stderr}\n${serverLog}`).toBe(0);
      expect(res.stdout).toMatch(/completed/);
      expect(res.stdout).toMatch(/arc_easy/);
      const list = (await (await fetch(`http://127.0.0.1:${port}/api/v1/evaluations`)).json()) as {
        items: { status: string; experiment: { name: string } }[];
      };
      expect(list.items.map((e) => [e.experiment.name, e.status])).toContainEqual([
        'ci-evaluation-42',
        'completed',
      ]);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
