/**
 * HTTP benchmark of the Eval Hub server (not a test): throughput and p50/p99 latency on loopback for
 * POST /api/v1/evaluations (the scripted provider's `noop` benchmark, which touches no file),
 * GET /api/v1/evaluations/{id} and GET /api/v1/evaluations (list), closed loop at 50 and 200
 * concurrent clients and open loop at 1,500 requests/s over 200 clients (an undici Pool with one
 * connection per client). The server runs in its own process with a SQLite store in a temporary
 * folder and tracker `none` (packages/server/test/support/serve-scripted.ts).
 *
 *   node tools/dist/bench/http.js [--duration 10] [--concurrency 50,200] [--rate 1500] [--rate-clients 200] [--requests-per-turn 8] [--url http://…]
 *   node tools/dist/bench/http.js --store postgres [--replicas 2]   # on PostgreSQL (a server started for the run)
 *
 * `--store postgres` runs the server on @evalhub/store-postgres against EVALHUB_DATABASE_URL or a
 * PostgreSQL server started for the run (tools/src/postgres/launcher.ts); `--replicas N` starts N such servers on that one database and spreads the clients' requests
 * over them (undici's BalancedPool), as a load balancer in front of a replica set would.
 *
 * With --url it measures an already running server instead (reads only unless --post-body is given).
 *
 * Two load models:
 * - closed loop (`--concurrency`): every client sends its next request as soon as it has an answer.
 *   This finds the saturation throughput; its latency is then the client count divided by the
 *   throughput (Little's law), whatever the server does.
 * - open loop (`--rate R --rate-clients C`, default 1500 over 200 clients): requests are due at a
 *   constant total rate R, shared by C connections, the way a fleet of CI jobs arrives. Latency is
 *   measured from the moment a request was due, not from when a free client sent it, so a slow
 *   answer that delays the next request counts against the server (no coordinated omission).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { BalancedPool, Pool, type Dispatcher } from 'undici';
import { startPostgres, type PostgresServer } from '../postgres/launcher.js';
import { startScriptedServer } from './scripted-server.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '50,200' },
    rate: { type: 'string', default: '1500' },
    'rate-clients': { type: 'string', default: '200' },
    url: { type: 'string' },
    /** Dispatch handlers as the server does by default (8 per event-loop turn) or N per turn; 0 = Node's default. */
    'requests-per-turn': { type: 'string' },
    'post-path': { type: 'string', default: '/api/v1/evaluations' },
    'post-body': { type: 'string' },
    'get-path': { type: 'string', default: '/api/v1/evaluations/{id}' },
    'list-path': { type: 'string', default: '/api/v1/evaluations?limit=20' },
    'id-field': { type: 'string', default: 'id' },
    json: { type: 'boolean', default: false },
    store: { type: 'string', default: 'sqlite' },
    replicas: { type: 'string', default: '1' },
  },
});

const DEFAULT_BODY = JSON.stringify({
  model: { server: 'vllm', name: 'bench-model' },
  benchmarks: [{ benchmark_id: 'noop', provider_id: 'scripted' }],
  experiment: { name: 'http-bench', tags: { run: 'bench' } },
});

interface Stats {
  scenario: string;
  concurrency: number;
  /** Offered requests per second (open loop); absent for closed-loop runs. */
  offered?: number;
  requests: number;
  errors: number;
  seconds: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /**
   * POST only, on our own server: seconds after the last answer until every accepted evaluation
   * had finished, and the evaluations finished per second over the whole run including that time.
   */
  drain_seconds?: number;
  finished_per_s?: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

type Call = (pool: Dispatcher, i: number) => Promise<{ ok: boolean; body?: string }>;

function summarise(
  scenario: string,
  concurrency: number,
  latencies: number[],
  errors: number,
  elapsed: number,
): Stats {
  latencies.sort((a, b) => a - b);
  const ms = (v: number): number => Math.round(v * 100) / 100;
  return {
    scenario,
    concurrency,
    requests: latencies.length,
    errors,
    seconds: ms(elapsed),
    rps: Math.round(latencies.length / elapsed),
    p50: ms(percentile(latencies, 50)),
    p90: ms(percentile(latencies, 90)),
    p99: ms(percentile(latencies, 99)),
    max: ms(latencies.at(-1) ?? NaN),
  };
}

async function succeeded(call: Call, pool: Dispatcher, i: number): Promise<boolean> {
  try {
    return (await call(pool, i)).ok;
  } catch {
    return false;
  }
}

/** Closed loop: `concurrency` clients, each sending its next request when the previous one returns. */
async function measure(
  pool: Dispatcher,
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
        if (!(await succeeded(call, pool, counter++))) errors++;
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return summarise(scenario, concurrency, latencies, errors, (performance.now() - started) / 1000);
}

/**
 * Open loop: request n is due at start + n / rate; `clients` connections take the due requests in
 * turn. Latency runs from the due time, so queueing behind a slow answer is counted.
 */
async function measureAtRate(
  pool: Dispatcher,
  scenario: string,
  clients: number,
  rate: number,
  seconds: number,
  call: Call,
): Promise<Stats> {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const total = Math.floor(rate * seconds);
  const started = performance.now();
  const dueAt = (n: number): number => started + (n * 1000) / rate;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let n = next++; n < total; n = next++) {
        const due = dueAt(n);
        // Timers may fire up to a millisecond early; never send before the request is due.
        for (let wait = due - performance.now(); wait > 0; wait = due - performance.now())
          await new Promise((resolve) => setTimeout(resolve, Math.ceil(wait)));
        if (!(await succeeded(call, pool, n))) errors++;
        latencies.push(performance.now() - due);
      }
    }),
  );
  return {
    ...summarise(scenario, clients, latencies, errors, (performance.now() - started) / 1000),
    offered: rate,
  };
}

/**
 * Waits until the hub has no pending or running evaluation, so that one scenario's backlog never
 * slows the next, and so that POST throughput is read next to the rate evaluations really finish at.
 */
async function drain(pool: Dispatcher, stats: Stats): Promise<void> {
  const t0 = performance.now();
  const count = async (status: string): Promise<number> => {
    const r = await pool.request({ method: 'GET', path: `/api/v1/evaluations?status=${status}&limit=1` });
    return ((JSON.parse(await r.body.text()) as { total?: number }).total ?? 0) as number;
  };
  while ((await count('pending')) + (await count('running')) > 0)
    await new Promise((resolve) => setTimeout(resolve, 20));
  const drainSeconds = (performance.now() - t0) / 1000;
  stats.drain_seconds = Math.round(drainSeconds * 100) / 100;
  stats.finished_per_s = Math.round(stats.requests / (stats.seconds + drainSeconds));
}

function report(name: string, stats: Stats): void {
  const load =
    stats.offered === undefined
      ? `c=${String(stats.concurrency).padStart(3)}          `
      : `c=${String(stats.concurrency).padStart(3)} @${String(stats.offered).padStart(5)}/s`;
  const num = (v: number, width = 7): string => v.toFixed(2).padStart(width);
  process.stdout.write(
    `${name.padEnd(28)} ${load}  ${String(stats.rps).padStart(6)} req/s  p50 ${num(stats.p50)} ms  p90 ${num(stats.p90)} ms  p99 ${num(stats.p99)} ms  max ${stats.max.toFixed(1).padStart(7)} ms  errors ${stats.errors}/${stats.requests}${
      stats.finished_per_s === undefined
        ? ''
        : `  (all finished ${stats.drain_seconds} s later: ${stats.finished_per_s} evaluations/s)`
    }\n`,
  );
}

async function main(): Promise<void> {
  const external = values.url;
  const serverArgs =
    values['requests-per-turn'] !== undefined ? ['--requests-per-turn', values['requests-per-turn']] : [];
  const replicas = Number(values.replicas);
  if (!(replicas >= 1) || (replicas > 1 && values.store !== 'postgres'))
    throw new Error(
      '--replicas N needs N >= 1, and --store postgres for N > 1 (replicas share one database).',
    );
  let postgres: PostgresServer | undefined;
  const storeEnv: Record<string, string> = {};
  if (!external && values.store === 'postgres') {
    if (!process.env.EVALHUB_DATABASE_URL) postgres = await startPostgres();
    const url = process.env.EVALHUB_DATABASE_URL ?? postgres!.url;
    Object.assign(storeEnv, { EVALHUB_STORE: 'postgres', EVALHUB_DATABASE_URL: url });
  }
  const servers = external
    ? []
    : await Promise.all(Array.from({ length: replicas }, () => startScriptedServer(serverArgs, storeEnv)));
  const base = external ?? servers[0]!.url;
  const dispatcher = (connections: number): Dispatcher =>
    servers.length > 1
      ? new BalancedPool(
          servers.map((s) => s.url),
          { connections: Math.ceil(connections / servers.length), pipelining: 1, keepAliveTimeout: 60_000 },
        )
      : new Pool(base, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
  const duration = Number(values.duration);
  const warmup = Number(values.warmup);
  const levels = values.concurrency.split(',').filter(Boolean).map(Number);
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
      const pool = dispatcher(concurrency);
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
          const drains = !external && call === post;
          const warm = await measure(pool, name, concurrency, warmup, call);
          if (drains) await drain(pool, warm);
          const stats = await measure(pool, name, concurrency, duration, call);
          if (drains) await drain(pool, stats);
          results.push(stats);
          if (!values.json) report(name, stats);
        }
      } finally {
        await pool.close();
      }
    }
    const rates = values.rate.split(',').filter(Boolean).map(Number);
    const clients = Number(values['rate-clients']);
    for (const rate of rates) {
      const pool = dispatcher(clients);
      try {
        const scenarios: [string, Call][] = [];
        if (postBody !== undefined) scenarios.push(['POST /evaluations', post]);
        if (ids.length > 0) scenarios.push(['GET /evaluations/{id}', getById]);
        scenarios.push(['GET /evaluations (list 20)', list]);
        for (const [name, call] of scenarios) {
          const drains = !external && call === post;
          const warm = await measureAtRate(pool, name, clients, rate, warmup, call);
          if (drains) await drain(pool, warm);
          const stats = await measureAtRate(pool, name, clients, rate, duration, call);
          if (drains) await drain(pool, stats);
          results.push(stats);
          if (!values.json) report(name, stats);
        }
      } finally {
        await pool.close();
      }
    }
  } finally {
    await Promise.all(
      servers.map(async (server) => {
        server.child.kill('SIGTERM');
        await new Promise((r) => server.child.once('close', r));
      }),
    );
    await postgres?.stop();
  }
  if (values.json)
    process.stdout.write(
      `${JSON.stringify({ base: external ?? `evalhub (local, ${values.store} × ${replicas}, tracker none)`, duration, results }, null, 2)}\n`,
    );
}

await main();
