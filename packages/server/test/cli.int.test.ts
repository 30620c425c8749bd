import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SqliteStore, type Evaluation } from '@evalhub/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, testServer, writeConfig, type TestServer } from './support/harness.js';
import { CLI_NODE_ARGS, REPO_ROOT, runCli as run } from './support/processes.js';

let s: TestServer;
let dir: string;
const file = (name: string, body: unknown): string => {
  const p = join(dir, name);
  writeFileSync(p, JSON.stringify(body));
  return p;
};
const request = (benchmarks: unknown[]) => ({
  model: { server: 'vllm', name: 'cli-model' },
  benchmarks,
  experiment: { name: 'cli' },
});

beforeAll(async () => {
  s = await testServer();
  dir = mkdtempSync(join(tmpdir(), 'evalhub-cli-'));
});
afterAll(async () => {
  await s?.stop();
});

describe('evalhub run', () => {
  it('--wait shows progress, the scores table and exits 0 when the evaluation completed', async () => {
    const req = file(
      'ok.json',
      request([
        {
          benchmark_id: 'arc_easy',
          provider_id: 'lm_evaluation_harness',
          config: { steps: 4, metrics: { score: 0.75, acc_norm: 0.5 } },
        },
        { benchmark_id: 'ok', provider_id: 'scripted' },
      ]),
    );
    const r = await run(['run', req, '--wait', '--url', s.url]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/arc_easy\s+\[#+\] 100% 4\/4/);
    expect(r.stderr).toContain('evaluation completed');
    expect(r.stdout).toMatch(/arc_easy\s+lm_evaluation_harness\s+completed\s+score=0\.75\s+acc_norm=0\.5/);
    expect(r.stdout).toMatch(/ok\s+scripted\s+completed\s+score=1/);
  });

  it('--wait exits 1 when the evaluation failed or partially failed', async () => {
    const failed = await run([
      'run',
      file(
        'fail.json',
        request([
          { benchmark_id: 'fail', provider_id: 'scripted', config: { fail: 'model answered nonsense' } },
        ]),
      ),
      '--wait',
      '--url',
      s.url,
    ]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain(': failed');
    expect(failed.stdout).toContain('model answered nonsense');
    const partial = await run([
      'run',
      file(
        'partial.json',
        request([
          { benchmark_id: 'ok', provider_id: 'scripted' },
          { benchmark_id: 'fail', provider_id: 'scripted' },
        ]),
      ),
      '--wait',
      '--json',
      '--url',
      s.url,
    ]);
    expect(partial.code).toBe(1);
    expect((JSON.parse(partial.stdout) as Evaluation).status).toBe('partially_failed');
  });

  it('--wait exits 1 when the evaluation is cancelled meanwhile', async () => {
    const req = file(
      'long.json',
      request([{ benchmark_id: 'command', provider_id: 'scripted', config: { command: ['sleep', '60'] } }]),
    );
    const child = spawn(process.execPath, [...CLI_NODE_ARGS, 'run', req, '--wait', '--url', s.url], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const done = new Promise<{ code: number | null; stdout: string }>((resolve) => {
      let stdout = '';
      child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
      child.on('close', (code) => resolve({ code, stdout }));
    });
    // Wait for the CLI to report the running benchmark, then cancel through the API.
    const lines = createInterface({ input: child.stderr! });
    let id = '';
    for await (const line of lines) {
      const m = /^Submitted (\S+);/.exec(line);
      if (m) id = m[1]!;
      if (/command\s+running/.test(line)) break;
    }
    expect((await http(s.url, 'DELETE', `/api/v1/evaluations/${id}`)).status).toBe(200);
    const r = await done;
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`Evaluation ${id}: cancelled`);
  });

  it('without --wait prints the id (--json: the evaluation) and exits 0; Idempotency-Key is passed on', async () => {
    const req = file('quick.json', request([{ benchmark_id: 'ok', provider_id: 'scripted' }]));
    const r = await run(['run', req, '--json', '--url', s.url, '--idempotency-key', 'cli-1']);
    expect(r.code).toBe(0);
    const e = JSON.parse(r.stdout) as Evaluation;
    const again = await run(['run', req, '--url', s.url, '--idempotency-key', 'cli-1']);
    expect(again.stdout).toContain(`Already submitted: ${e.id}`);
  });

  it('exits 2 with the hub error for an invalid request, a missing file, bad usage or an unreachable hub', async () => {
    const bad = await run([
      'run',
      file('bad.json', request([{ benchmark_id: 'arc_easy', provider_id: 'helm' }])),
      '--url',
      s.url,
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Error (HTTP 400)');
    expect(bad.stderr).toContain('/benchmarks/0/provider_id');
    expect(bad.stderr).toMatch(/request id: [0-9a-f-]{36}/);
    expect((await run(['run', join(dir, 'missing.json'), '--url', s.url])).code).toBe(2);
    expect((await run(['run', '--url', s.url])).code).toBe(2);
    expect((await run(['frobnicate'])).code).toBe(2);
    expect((await run(['list', '--no-such-flag'])).code).toBe(2);
    const down = await run(['list', '--url', 'http://127.0.0.1:1']);
    expect(down.code).toBe(2);
    expect(down.stderr).toContain('Cannot reach the hub at http://127.0.0.1:1');
  });

  it('waits while the hub answers 429 (queue full) and submits again as Retry-After says', async () => {
    const busy = await testServer({
      config: { evaluation: { max_concurrent_evaluations: 1, max_queued_evaluations: 1 } },
    });
    try {
      const slow = request([
        { benchmark_id: 'slow', provider_id: 'scripted', config: { durationMs: 60_000 } },
      ]);
      const running = await http(busy.url, 'POST', '/api/v1/evaluations', { json: slow });
      const queued = await http(busy.url, 'POST', '/api/v1/evaluations', { json: slow });
      expect([running.status, queued.status]).toEqual([202, 202]);

      const child = spawn(
        process.execPath,
        [
          ...CLI_NODE_ARGS,
          'run',
          file('after-queue.json', request([{ benchmark_id: 'ok', provider_id: 'scripted' }])),
          '--url',
          busy.url,
        ],
        { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      for await (const line of createInterface({ input: child.stderr })) {
        if (line.includes("The hub's queue is full; submitting again in 5 s")) break;
      }
      // Room again: the CLI's next attempt is accepted.
      expect((await http(busy.url, 'DELETE', `/api/v1/evaluations/${queued.body.id}`)).status).toBe(200);
      expect(await exited).toBe(0);
      expect(stdout).toMatch(/^Submitted: [0-9a-f-]{36}/);
      await http(busy.url, 'DELETE', `/api/v1/evaluations/${running.body.id}`);
    } finally {
      await busy.stop();
    }
  });
});

describe('evalhub list, get, cancel, providers, benchmarks', () => {
  it('list shows evaluations with filters; get shows one; --json for scripts', async () => {
    const e = (
      await http<Evaluation>(s.url, 'POST', '/api/v1/evaluations', {
        json: {
          ...request([{ benchmark_id: 'ok', provider_id: 'scripted' }]),
          experiment: { name: 'cli-list', tags: { team: 'qa' } },
        },
      })
    ).body;
    await s.hub.service.wait(e.id);
    const list = await run(['list', '--experiment', 'cli-list', '--tag', 'team:qa', '--url', s.url]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`${e.id}\\s+completed\\s+cli-list\\s+cli-model\\s+ok`));
    expect(list.stdout).toContain('1 of 1');
    const json = await run(['list', '--experiment', 'cli-list', '--json'], { EVALHUB_URL: s.url });
    expect(JSON.parse(json.stdout).items[0].id).toBe(e.id);
    const get = await run(['get', e.id, '--url', s.url]);
    expect(get.code).toBe(0);
    expect(get.stdout).toContain(`Evaluation ${e.id}`);
    expect(get.stdout).toMatch(/ok\s+scripted\s+completed\s+score=1/);
    const missing = await run(['get', 'nope', '--url', s.url]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("Evaluation 'nope' does not exist");
    const cancelFinished = await run(['cancel', e.id, '--url', s.url]);
    expect(cancelFinished.code).toBe(2);
    expect(cancelFinished.stderr).toContain('HTTP 409');
  });

  it('cancel stops a running evaluation', async () => {
    const e = (
      await http<Evaluation>(s.url, 'POST', '/api/v1/evaluations', {
        json: request([{ benchmark_id: 'slow', provider_id: 'scripted', config: { durationMs: 60_000 } }]),
      })
    ).body;
    const r = await run(['cancel', e.id, '--url', s.url]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Evaluation ${e.id}: `);
    expect((await s.hub.service.wait(e.id)).status).toBe('cancelled');
  });

  it('providers and benchmarks', async () => {
    const providers = await run(['providers', '--url', s.url]);
    expect(providers.stdout).toMatch(
      /lm_evaluation_harness\s+lm_evaluation_harness \(catalog\)\s+1\.0\.0\s+3/,
    );
    const benchmarks = await run(['benchmarks', '--provider', 'ragas', '--url', s.url]);
    expect(benchmarks.stdout).toMatch(/ragas\s+faithfulness\s+rag\s+score/);
    expect(benchmarks.stdout).not.toContain('arc_easy');
    const json = await run(['benchmarks', '--category', 'reasoning', '--json', '--url', s.url]);
    expect(JSON.parse(json.stdout).items.map((b: { id: string }) => b.id)).toEqual([
      'arc_easy',
      'arc_challenge',
    ]);
  });
});

describe('evalhub serve', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('serves the configured hub and shuts down gracefully on SIGTERM', async () => {
    const serveDir = mkdtempSync(join(tmpdir(), 'evalhub-serve-'));
    const config = writeConfig(serveDir, {
      plugins: [join(import.meta.dirname, 'support', 'spec-providers-plugin.ts')],
      log_level: 'info',
    });
    child = spawn(
      process.execPath,
      [...CLI_NODE_ARGS, 'serve', '--config', config, '--port', '0', '--host', '127.0.0.1', '--json'],
      {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child!.on('close', resolve));
    let url = '';
    const out: string[] = [];
    // The JSON line (stdout) and the log line (pino, asynchronous) may arrive in either order.
    for await (const line of createInterface({ input: child.stdout! })) {
      out.push(line);
      const parsed = JSON.parse(line) as { url?: string; msg?: string };
      if (parsed.url && !parsed.msg) url = parsed.url;
      if (url && out.some((l) => l.includes('listening on'))) break;
    }
    expect(url, stderr).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(out.join('\n')).toContain('listening on');
    const providers = await run(['providers', '--json', '--url', url]);
    expect(JSON.parse(providers.stdout).items.map((p: { id: string }) => p.id)).toEqual([
      'lm_evaluation_harness',
      'ragas',
      'scripted',
    ]);
    const e = (
      await http<Evaluation>(url, 'POST', '/api/v1/evaluations', {
        json: request([{ benchmark_id: 'slow', provider_id: 'scripted', config: { durationMs: 60_000 } }]),
      })
    ).body;
    await expect
      .poll(async () => (await http<Evaluation>(url, 'GET', `/api/v1/evaluations/${e.id}`)).body.status, {
        timeout: 30_000,
        interval: 50,
      })
      .toBe('running');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    // Persisted as unfinished, for the next start to resume.
    const store = new SqliteStore({ path: join(serveDir, 'evalhub.db') });
    try {
      const stored = await store.getEvaluation(e.id);
      expect(stored!.benchmarks[0]!.status).toBe('pending');
      expect((await store.listUnfinished()).map((x) => x.id)).toContain(e.id);
    } finally {
      await store.close();
    }
  });

  it('refuses to start with a clear message when the config is invalid', async () => {
    const badDir = mkdtempSync(join(tmpdir(), 'evalhub-bad-'));
    const config = writeConfig(badDir, { plugins: ['@evalhub/not-installed-provider'] });
    const r = await run(['serve', '--config', config, '--port', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Cannot start: .*not-installed-provider/);
  });
});
