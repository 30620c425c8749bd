import { conformanceEvaluation } from '@evalhub/core/testing';
import { pgCtl, restartPostgres } from '@evalhub/tools';
import { afterAll, describe, expect, it } from 'vitest';
import type { PostgresStore } from '../src/postgres-store.js';
import { freshSchema, openStore, server } from './harness.js';

const opened: PostgresStore[] = [];
afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
});

describe('the PostgreSQL store when the database restarts', () => {
  it('reports the database in health() and reconnects after a restart, without a new store', async () => {
    const schema = freshSchema('restart');
    const a = await openStore({ schema, retry_window_ms: 60_000 }, 'a');
    const b = await openStore({ schema, retry_window_ms: 60_000 }, 'b');
    opened.push(a, b);
    await a.createEvaluation(conformanceEvaluation(1, { status: 'running' }));
    const healthy = await a.health();
    expect(healthy.ok).toBe(true);
    expect(healthy.detail).toMatch(
      /^evalhub@127\.0\.0\.1:\d+\/evalhub \(schema restart_.*\), schema v\d+, pool \d+ open/,
    );
    expect(healthy.detail).not.toContain(server.password);
    const events: unknown[] = [];
    b.events.subscribe((e) => events.push(e.payload));
    await b.events.ready();

    // A fast shutdown ends every session (the pool's idle connections, the LISTEN connection).
    await restartPostgres(server);
    expect((await a.getEvaluation('e001'))?.status).toBe('running');
    await a.saveEvaluation(conformanceEvaluation(1, { status: 'completed' }));
    expect((await b.getEvaluation('e001'))?.status).toBe('completed');

    // Down: health says so at once; a write waits for the database and lands when it is back.
    await pgCtl(server, 'stop', ['-m', 'fast']);
    const down = await a.health();
    expect(down.ok).toBe(false);
    expect(down.detail).toMatch(/unreachable/);
    expect(down.detail).not.toContain(server.password);
    const write = a.createEvaluation(conformanceEvaluation(2, { status: 'pending' }), 'key-2');
    await pgCtl(server, 'start');
    await expect(write).resolves.toMatchObject({ created: true, evaluation: { id: 'e002' } });
    expect((await a.health()).ok).toBe(true);

    // Events published after the restarts reach the other replica again.
    await a.events.publish('progress', { after: 'restart' });
    const deadline = Date.now() + 30_000;
    while (events.length === 0 && Date.now() < deadline) await new Promise((ok) => setTimeout(ok, 50));
    expect(events).toEqual([{ after: 'restart' }]);
  });
});
