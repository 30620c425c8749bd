/**
 * Replica events benchmark (not a test): how long an event published by one replica takes to reach
 * another through @evalhub/store-postgres, with LISTEN/NOTIFY and with polling only (the fallback).
 *
 *   npm run build && npx tsx tools/src/bench/postgres-events.ts [--events 200] [--poll-ms 1000]
 *
 * Starts its own PostgreSQL server (tools/src/postgres/launcher.ts), or uses EVALHUB_DATABASE_URL.
 * Events are published one after another (a tenth as many when polling), each once the previous one arrived; the latency is from
 * the publish call to the subscriber's callback in another store (another pool and connection).
 */
import { parseArgs } from 'node:util';
import { PostgresStore } from '@evalhub/store-postgres';
import { startPostgres, type PostgresServer } from '../postgres/launcher.js';

const { values } = parseArgs({
  options: { events: { type: 'string', default: '200' }, 'poll-ms': { type: 'string', default: '1000' } },
});
const N = Number(values.events);
const POLL_MS = Number(values['poll-ms']);

let server: PostgresServer | undefined;
const url = process.env.EVALHUB_DATABASE_URL ?? (server = await startPostgres()).url;
const pct = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function measure(listen: boolean, count: number): Promise<Record<string, number>> {
  const schema = `bench_events_${listen ? 'listen' : 'poll'}_${process.pid}`;
  const options = { url, schema, events_listen: listen, events_poll_ms: POLL_MS };
  const a = await PostgresStore.open({ options, replicaId: 'a' });
  const b = await PostgresStore.open({ options, replicaId: 'b' });
  let arrived: (() => void) | undefined;
  b.events.subscribe(() => arrived?.());
  await b.events.ready();
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const got = new Promise<void>((ok) => (arrived = ok));
    const t0 = performance.now();
    await a.events.publish('progress', { i });
    await got;
    latencies.push(performance.now() - t0);
  }
  await a.db.query(`DROP SCHEMA ${schema} CASCADE`);
  await Promise.all([a.close(), b.close()]);
  latencies.sort((x, y) => x - y);
  return {
    p50_ms: +pct(latencies, 50).toFixed(2),
    p99_ms: +pct(latencies, 99).toFixed(2),
    max_ms: +latencies.at(-1)!.toFixed(2),
  };
}

// Polling takes up to poll-ms per event: a tenth as many events there.
const POLLED = Math.max(20, Math.round(N / 10));
const result = {
  listen_notify: { events: N, ...(await measure(true, N)) },
  [`polling_every_${POLL_MS}_ms`]: { events: POLLED, ...(await measure(false, POLLED)) },
};
await server?.stop();
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
