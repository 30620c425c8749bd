/**
 * Load benchmark (not a test): Eval Hub next to the Go eval-hub server (PyPI `eval-hub-server`), in
 * one run, on loopback, driven by an outside load generator (wrk) and by the project's own client
 * (an undici Pool, closed loop, as tools/src/bench/http.ts), at 50, 200 and 1,000 connections.
 *
 *   tools/src/bench/load-setup.sh            # wrk from apt, eval-hub-server into .bench/go-evalhub
 *   npx tsx tools/src/bench/load-compare.ts [--duration 8] [--warmup 2] [--connections 50,200,1000]
 *                                           [--threads 2] [--clients wrk,undici] [--no-go]
 *
 *   --with-unfair also runs ours with Node's defaults (fair dispatch off, listen backlog 511, one
 *   accept handle: how the server was before issue 19).
 *   --ours-args='--backlog 511' passes arguments to our server (serve-scripted.ts: --requests-per-turn,
 *   --backlog, --accept-handles), to measure a setting.
 *
 * Calls (each on an empty store but for what the POST scenario adds):
 * - ours: `GET /api/v1/evaluations?limit=20`, `GET /api/v1/evaluations/{id}`, `POST /api/v1/evaluations`
 *   (scripted `noop` benchmark; SQLite, tracker none — packages/server/test/support/serve-scripted.ts)
 * - Go (`-local`, SQLite file): `GET /api/v1/evaluations/jobs?limit=20`, and, as it has no job that
 *   runs without a real engine, `GET /api/v1/evaluations/collections/{id}` and
 *   `POST /api/v1/evaluations/collections` for get-by-id and POST (a JSON body validated and
 *   written to SQLite, answered with the stored document).
 *
 * wrk runs with `--timeout 30s` so that a slow answer is measured, not dropped as a timeout; it
 * reports p50/p99/max of each request from the moment it was written (its Lua `done` hook prints
 * them). Before every measured run comes a warm-up run with the same connection count.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { freePort, repoRoot } from '../mlflow/launcher.js';
import { startScriptedServer } from './scripted-server.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '50,200,1000' },
    threads: { type: 'string', default: '2' },
    clients: { type: 'string', default: 'wrk,undici' },
    calls: { type: 'string', default: 'list,get,post' },
    'no-go': { type: 'boolean', default: false },
    /** Also measure our server with Node's defaults (`requestsPerTurn: 0`, backlog 511), as before the fix. */
    'with-unfair': { type: 'boolean', default: false },
    /** Extra arguments for our server (packages/server/test/support/serve-scripted.ts), e.g. `--backlog 511`. */
    'ours-args': { type: 'string', default: '' },
    'go-bin': { type: 'string', default: join(repoRoot, '.bench', 'go-evalhub', 'bin', 'eval-hub') },
    json: { type: 'boolean', default: false },
  },
});

interface Target {
  name: string;
  url: string;
  /** Ours only: the event-loop delay p99 since the previous call (ms), and waiting out the queue. */
  loopDelayP99?(): Promise<number>;
  drain?(): Promise<void>;
  list: string;
  get: string;
  post: { path: string; body: string };
  stop(): Promise<void>;
}

interface Result {
  server: string;
  client: string;
  call: string;
  connections: number;
  rps: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
  requests: number;
  /** Ours only: event-loop delay p99 during the run, from /metrics (ms). */
  loop_p99?: number;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('close', () => resolve());
    child.kill('SIGTERM');
  });
}

async function send(url: string, method: string, path: string, body?: string): Promise<any> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    ...(body ? { body } : {}),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

async function startOurs(requestsPerTurn?: number): Promise<Target> {
  const { url, child } = await startScriptedServer([
    ...(requestsPerTurn !== undefined ? ['--requests-per-turn', String(requestsPerTurn)] : []),
    ...(requestsPerTurn === 0 ? ['--backlog', '511', '--accept-handles', '0'] : []),
    ...values['ours-args'].split(' ').filter(Boolean),
  ]);
  const body = JSON.stringify({
    model: { server: 'vllm', name: 'bench-model' },
    benchmarks: [{ benchmark_id: 'noop', provider_id: 'scripted' }],
    experiment: { name: 'load-bench', tags: { run: 'bench' } },
  });
  const seeded = (await send(url, 'POST', '/api/v1/evaluations', body)) as { id: string };
  return {
    name: requestsPerTurn === 0 ? 'evalhub-unfair' : 'evalhub',
    url,
    list: '/api/v1/evaluations?limit=20',
    get: `/api/v1/evaluations/${seeded.id}`,
    post: { path: '/api/v1/evaluations', body },
    async loopDelayP99() {
      const text = await (await fetch(`${url}/metrics`)).text();
      const m = /evalhub_event_loop_delay_seconds\{quantile="0.99"\} ([0-9.e+-]+)/.exec(text);
      return m ? Math.round(Number(m[1]) * 100_000) / 100 : NaN;
    },
    async drain() {
      const count = async (status: string): Promise<number> =>
        ((await send(url, 'GET', `/api/v1/evaluations?status=${status}&limit=1`)) as { total: number }).total;
      while ((await count('pending')) + (await count('running')) > 0)
        await new Promise((r) => setTimeout(r, 50));
    },
    stop: () => stopChild(child),
  };
}

async function startGo(bin: string): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), 'evalhub-go-bench-'));
  const port = await freePort();
  const configDir = join(dir, 'config');
  spawnSync('mkdir', ['-p', configDir]);
  writeFileSync(
    join(configDir, 'config.yaml'),
    [
      'service:',
      `  port: ${port}`,
      '  host: "127.0.0.1"',
      `  ready_file: "${join(dir, 'ready')}"`,
      `  termination_file: "${join(dir, 'termination-log')}"`,
      '  disable_auth: true',
      'database:',
      '  driver: sqlite',
      `  url: "file:${join(dir, 'eval_hub.db')}"`,
      'prometheus:',
      '  enabled: false',
      '',
    ].join('\n'),
  );
  const child = spawn(bin, ['-local', '-configdir', configDir], {
    cwd: dir,
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${port}`;
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the Go server exited (${child.exitCode})`);
    try {
      await send(url, 'GET', '/api/v1/evaluations/jobs?limit=1');
      break;
    } catch {
      if (Date.now() - started > 30_000) throw new Error('the Go server did not start within 30 s');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const body = JSON.stringify({
    name: 'load-bench',
    category: 'bench',
    benchmarks: [{ id: 'arc_easy', provider_id: 'lm_evaluation_harness' }],
  });
  const seeded = (await send(url, 'POST', '/api/v1/evaluations/collections', body)) as {
    resource: { id: string };
  };
  return {
    name: 'go eval-hub',
    url,
    list: '/api/v1/evaluations/jobs?limit=20',
    get: `/api/v1/evaluations/collections/${seeded.resource.id}`,
    post: { path: '/api/v1/evaluations/collections', body },
    stop: async () => {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const WRK_DONE = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,"errors":%d,"status_errors":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.connect + e.read + e.write + e.timeout, e.status))
end
`;

function wrk(
  target: Target,
  call: string,
  connections: number,
  seconds: number,
  scriptDir: string,
): Omit<Result, 'server' | 'client' | 'call' | 'connections'> {
  const script = join(scriptDir, `${call}.lua`);
  const lua =
    call === 'post'
      ? `wrk.method = "POST"\nwrk.body = ${JSON.stringify(target.post.body)}\nwrk.headers["Content-Type"] = "application/json"\n${WRK_DONE}`
      : WRK_DONE;
  writeFileSync(script, lua);
  const path = call === 'list' ? target.list : call === 'get' ? target.get : target.post.path;
  const threads = Math.min(Number(values.threads), connections);
  const run = spawnSync(
    'wrk',
    [
      '-t',
      String(threads),
      '-c',
      String(connections),
      '-d',
      `${seconds}s`,
      '--timeout',
      '30s',
      '-s',
      script,
      `${target.url}${path}`,
    ],
    { encoding: 'utf8' },
  );
  const line = run.stdout.split('\n').find((l) => l.startsWith('{"requests"'));
  if (!line) throw new Error(`wrk failed: ${run.stderr || run.stdout}`);
  const r = JSON.parse(line) as Record<string, number>;
  const ms = (us: number): number => Math.round(us / 10) / 100;
  return {
    requests: r.requests!,
    rps: Math.round(r.requests! / (r.duration_us! / 1e6)),
    p50: ms(r.p50_us!),
    p99: ms(r.p99_us!),
    max: ms(r.max_us!),
    errors: r.errors! + r.status_errors!,
  };
}

async function undici(
  target: Target,
  call: string,
  connections: number,
  seconds: number,
): Promise<Omit<Result, 'server' | 'client' | 'call' | 'connections'>> {
  const pool = new Pool(target.url, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  const path = call === 'list' ? target.list : call === 'get' ? target.get : target.post.path;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        try {
          const r = await pool.request({
            method: call === 'post' ? 'POST' : 'GET',
            path,
            ...(call === 'post'
              ? { body: target.post.body, headers: { 'content-type': 'application/json' } }
              : {}),
          });
          await r.body.dump();
          if (r.statusCode >= 300) errors++;
        } catch {
          errors++;
        }
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  const at = (p: number): number =>
    Math.round((latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN) * 100) /
    100;
  return {
    requests: latencies.length,
    rps: Math.round(latencies.length / elapsed),
    p50: at(0.5),
    p99: at(0.99),
    max: Math.round((latencies.at(-1) ?? NaN) * 100) / 100,
    errors,
  };
}

async function main(): Promise<void> {
  const duration = Number(values.duration);
  const warmup = Number(values.warmup);
  const levels = values.connections.split(',').map(Number);
  const clients = values.clients.split(',');
  const calls = values.calls.split(',');
  if (clients.includes('wrk') && spawnSync('wrk', ['--version']).error)
    throw new Error('wrk is not installed: run tools/src/bench/load-setup.sh');
  const withGo = !values['no-go'];
  if (withGo && !existsSync(values['go-bin']))
    throw new Error(
      `no Go eval-hub server at ${values['go-bin']}: run tools/src/bench/load-setup.sh (or pass --no-go)`,
    );
  const scriptDir = mkdtempSync(join(tmpdir(), 'evalhub-wrk-'));
  const targets: Target[] = [await startOurs()];
  if (values['with-unfair']) targets.push(await startOurs(0));
  if (withGo) targets.push(await startGo(values['go-bin']));
  const results: Result[] = [];
  const print = (r: Result): void => {
    if (values.json) return;
    process.stdout.write(
      `${r.server.padEnd(14)} ${r.client.padEnd(7)} ${r.call.padEnd(5)} c=${String(r.connections).padStart(5)}  ${String(r.rps).padStart(6)} req/s  p50 ${r.p50.toFixed(2).padStart(8)} ms  p99 ${r.p99.toFixed(2).padStart(8)} ms  max ${r.max.toFixed(1).padStart(8)} ms  errors ${r.errors}/${r.requests}${r.loop_p99 === undefined ? '' : `  loop p99 ${r.loop_p99} ms`}\n`,
    );
  };
  try {
    for (const call of calls) {
      for (const connections of levels) {
        for (const client of clients) {
          for (const target of targets) {
            const measure = async (seconds: number) =>
              client === 'wrk'
                ? wrk(target, call, connections, seconds, scriptDir)
                : await undici(target, call, connections, seconds);
            await measure(warmup);
            await target.drain?.();
            await target.loopDelayP99?.();
            const r: Result = {
              server: target.name,
              client,
              call,
              connections,
              ...(await measure(duration)),
            };
            if (target.loopDelayP99) r.loop_p99 = await target.loopDelayP99();
            await target.drain?.();
            results.push(r);
            print(r);
          }
        }
      }
    }
  } finally {
    for (const t of targets) await t.stop();
    rmSync(scriptDir, { recursive: true, force: true });
  }
  if (values.json) process.stdout.write(`${JSON.stringify({ duration, results }, null, 2)}\n`);
}

await main();
