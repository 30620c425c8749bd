/**
 * HTTP benchmark of the Eval Hub server (not a test): throughput and p50/p99 latency on loopback for
 * POST /api/v1/evaluations (a no-op scripted benchmark), GET /api/v1/evaluations/{id} and
 * GET /api/v1/evaluations (list), at 50 and 200 concurrent clients (an undici Pool with one
 * connection per client). The server runs in its own process with a SQLite store in a temporary
 * folder and tracker `none` (packages/server/test/support/serve-scripted.ts).
 *
 *   node --conditions=@evalhub/source --import tsx tools/src/bench/http.ts [--duration 10] [--concurrency 50,200] [--url http://…]
 *
 * With --url it measures an already running server instead (reads only unless --post-body is given).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..');

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '50,200' },
    url: { type: 'string' },
    'post-path': { type: 'string', default: '/api/v1/evaluations' },
    'post-body': { type: 'string' },
    'get-path': { type: 'string', default: '/api/v1/evaluations/{id}' },
    'list-path': { type: 'string', default: '/api/v1/evaluations?limit=20' },
    'id-field': { type: 'string', default: 'id' },
    json: { type: 'boolean', default: false },
  },
});

const DEFAULT_BODY = JSON.stringify({
  model: { server: 'vllm', name: 'bench-model' },
  benchmarks: [{ benchmark_id: 'ok', provider_id: 'scripted' }],
  experiment: { name: 'http-bench', tags: { run: 'bench' } },
});

interface Stats {
  scenario: string;
  concurrency: number;
  requests: number;
  errors: number;
  seconds: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function startServer(): Promise<{ url: string; child: ChildProcess }> {
  const script = join(repo, 'packages', 'server', 'test', 'support', 'serve-scripted.ts');
  const child = spawn(
    process.execPath,
    ['--conditions=@evalhub/source', '--import', 'tsx', script, '--log-level', 'warn'],
    {
      cwd: repo,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  for await (const line of createInterface({ input: child.stdout! })) {
    const parsed = JSON.parse(line) as { url?: string };
    if (parsed.url) return { url: parsed.url, child };
  }
  throw new Error('the server exited before it listened');
}

type Call = (pool: Pool, i: number) => Promise<{ ok: boolean; body?: string }>;

async function measure(
  pool: Pool,
  scenario: string,
  concurrency: number,
  seconds: number,
  call: Call,
): Promise<Stats> {
  const latencies: number[] = [];
  let errors = 0;
  let counter = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        try {
          const r = await call(pool, counter++);
          if (!r.ok) errors++;
        } catch {
          errors++;
        }
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    scenario,
    concurrency,
    requests: latencies.length,
    errors,
    seconds: Math.round(elapsed * 100) / 100,
    rps: Math.round(latencies.length / elapsed),
    p50: Math.round(percentile(latencies, 50) * 100) / 100,
    p90: Math.round(percentile(latencies, 90) * 100) / 100,
    p99: Math.round(percentile(latencies, 99) * 100) / 100,
    max: Math.round((latencies.at(-1) ?? NaN) * 100) / 100,
  };
}

async function main(): Promise<void> {
  const external = values.url;
  const server = external ? undefined : await startServer();
  const base = external ?? server!.url;
  const duration = Number(values.duration);
  const warmup = Number(values.warmup);
  const levels = values.concurrency.split(',').map(Number);
  const postBody =
    values['post-body'] !== undefined
      ? values['post-body'].startsWith('@')
        ? readFileSync(values['post-body'].slice(1), 'utf8')
        : values['post-body']
      : external
        ? undefined
        : DEFAULT_BODY;
  const ids: string[] = [];

  const post: Call = async (pool) => {
    const r = await pool.request({
      method: 'POST',
      path: values['post-path'],
      headers: { 'content-type': 'application/json' },
      body: postBody!,
    });
    const text = await r.body.text();
    if (r.statusCode === 202 || r.statusCode === 201 || r.statusCode === 200) {
      if (ids.length < 5000)
        ids.push(String((JSON.parse(text) as Record<string, unknown>)[values['id-field']]));
      return { ok: true };
    }
    return { ok: false };
  };
  const getById: Call = async (pool, i) => {
    const r = await pool.request({
      method: 'GET',
      path: values['get-path'].replace('{id}', encodeURIComponent(ids[i % ids.length]!)),
    });
    await r.body.dump();
    return { ok: r.statusCode === 200 };
  };
  const list: Call = async (pool) => {
    const r = await pool.request({ method: 'GET', path: values['list-path'] });
    await r.body.dump();
    return { ok: r.statusCode === 200 };
  };

  const results: Stats[] = [];
  try {
    for (const concurrency of levels) {
      const pool = new Pool(base, { connections: concurrency, pipelining: 1, keepAliveTimeout: 60_000 });
      try {
        const scenarios: [string, Call][] = [];
        if (postBody !== undefined) scenarios.push(['POST /evaluations', post]);
        scenarios.push(['GET /evaluations/{id}', getById], ['GET /evaluations (list 20)', list]);
        for (const [name, call] of scenarios) {
          if (name.startsWith('GET /evaluations/{id}') && ids.length === 0) {
            if (external && values['get-path'].includes('{id}')) {
              const r = await pool.request({ method: 'GET', path: values['list-path'] });
              const page = JSON.parse(await r.body.text()) as { items?: Record<string, unknown>[] };
              for (const item of page.items ?? []) ids.push(String(item[values['id-field']]));
            }
            if (ids.length === 0) continue;
          }
          await measure(pool, name, concurrency, warmup, call);
          const stats = await measure(pool, name, concurrency, duration, call);
          results.push(stats);
          if (!values.json) {
            process.stdout.write(
              `${name.padEnd(28)} c=${String(concurrency).padStart(3)}  ${String(stats.rps).padStart(6)} req/s  p50 ${stats.p50.toFixed(2).padStart(7)} ms  p90 ${stats.p90
                .toFixed(2)
                .padStart(
                  7,
                )} ms  p99 ${stats.p99.toFixed(2).padStart(7)} ms  max ${stats.max.toFixed(1).padStart(7)} ms  errors ${stats.errors}/${stats.requests}\n`,
            );
          }
        }
      } finally {
        await pool.close();
      }
    }
  } finally {
    if (server) {
      server.child.kill('SIGTERM');
      await new Promise((r) => server.child.once('close', r));
    }
  }
  if (values.json)
    process.stdout.write(
      `${JSON.stringify({ base: external ?? 'evalhub (local, sqlite, tracker none)', duration, results }, null, 2)}\n`,
    );
}

await main();
