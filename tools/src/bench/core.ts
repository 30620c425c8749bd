/**
 * Core benchmark (not a test): the hub's own overhead per evaluation.
 *
 *   npx tsx tools/src/bench/core.ts [--evaluations 1000] [--fill 10000]
 *
 * 1. Latency: evaluations submitted one after another (submit → completed) with a no-op provider on
 *    the SQLite store, tracker none: p50/p99 per evaluation = pure hub overhead.
 * 2. Throughput: the same number submitted at once; evaluations/s from first submit to last result.
 * 3. Memory: the store filled to --fill evaluations (100 at a time), then a list of the newest page;
 *    peak RSS over the whole run (incl. the burst of step 2) and RSS with the filled store.
 *    Run with `node --expose-gc` to collect garbage before the last reading.
 * Targets (issue): ≥ 1,000 evaluations/s, p99 < 5 ms, peak RSS < 200 MB at 10,000 stored.
 *
 * EVALHUB_STORE=postgres runs it on @evalhub/store-postgres (build it first: `npm run build`),
 * against EVALHUB_DATABASE_URL or, without it, a PostgreSQL server started for the run
 * (tools/src/postgres/launcher.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createHub, loadConfig, silentLogger, type EvaluationProvider } from '@evalhub/core';
import { repoRoot } from '../mlflow/launcher.js';
import { startPostgres, type PostgresServer } from '../postgres/launcher.js';

const { values } = parseArgs({
  options: { evaluations: { type: 'string', default: '1000' }, fill: { type: 'string', default: '10000' } },
});
const N = Number(values.evaluations);
const FILL = Number(values.fill);

const noop: EvaluationProvider = {
  describe: () => ({
    id: 'noop',
    name: 'No-op',
    benchmarks: [{ id: 'noop', name: 'noop', category: 'bench', metrics: ['score'] }],
  }),
  run: async () => ({ metrics: { score: 1 } }),
};

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const request = {
  model: { server: 'bench', name: 'm', url: 'http://127.0.0.1:9/v1' },
  benchmarks: [{ benchmark_id: 'noop', provider_id: 'noop' }],
  experiment: { name: 'bench', tags: { kind: 'bench' } },
};

const dir = mkdtempSync(join(tmpdir(), 'evalhub-bench-core-'));
const storeName = process.env.EVALHUB_STORE ?? 'sqlite';
let postgres: PostgresServer | undefined;
if (storeName === 'postgres' && !process.env.EVALHUB_DATABASE_URL) postgres = await startPostgres();
const databaseUrl = process.env.EVALHUB_DATABASE_URL ?? postgres?.url;
const hub = await createHub({
  config: loadConfig({
    cwd: dir,
    env: {
      EVALHUB_TRACKER: 'none',
      EVALHUB_DISCOVER_PLUGINS: 'false',
      EVALHUB_MAX_CONCURRENT_EVALUATIONS: '64',
      EVALHUB_STORE: storeName,
      ...(databaseUrl ? { EVALHUB_DATABASE_URL: databaseUrl } : {}),
    },
  }),
  resolveFrom: [repoRoot],
  providers: [noop],
  logger: silentLogger(),
});

// Warm-up (JIT, SQLite statement cache).
for (let i = 0; i < 50; i++) await hub.evaluate(request);

const latencies: number[] = [];
for (let i = 0; i < N; i++) {
  const t0 = performance.now();
  const e = await hub.evaluate(request);
  latencies.push(performance.now() - t0);
  if (e.status !== 'completed') throw new Error(`evaluation ${e.id} ended ${e.status}`);
}
latencies.sort((a, b) => a - b);

const t0 = performance.now();
await Promise.all(Array.from({ length: N }, () => hub.evaluate(request)));
const throughputSeconds = (performance.now() - t0) / 1000;

let stored = (await hub.service.list({ limit: 1 })).total;
while (stored < FILL) {
  const batch = Math.min(100, FILL - stored);
  await Promise.all(Array.from({ length: batch }, () => hub.evaluate(request)));
  stored += batch;
}
const listT0 = performance.now();
const page = await hub.service.list({ limit: 50, experiment: 'bench' });
const listMs = performance.now() - listT0;
(globalThis as { gc?: () => void }).gc?.();
const rssWithStoreMb = Math.round(process.memoryUsage().rss / 1024 / 1024);
await hub.close();
await postgres?.stop();
clearInterval(sampler);
peakRss = Math.max(peakRss, process.memoryUsage().rss, process.resourceUsage().maxRSS * 1024);
rmSync(dir, { recursive: true, force: true });

const result = {
  store: hub.store.name,
  evaluations: N,
  sequential_latency_ms: {
    p50: +pct(latencies, 50).toFixed(3),
    p99: +pct(latencies, 99).toFixed(3),
    max: +latencies.at(-1)!.toFixed(3),
  },
  throughput_evaluations_per_s: Math.round(N / throughputSeconds),
  stored_evaluations: page.total,
  list_newest_page_ms: +listMs.toFixed(2),
  peak_rss_mb: Math.round(peakRss / 1024 / 1024),
  rss_with_10k_stored_mb: rssWithStoreMb,
  targets: { throughput: '>= 1000/s', p99: '< 5 ms', rss: '< 200 MB' },
};
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
