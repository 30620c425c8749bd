import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { conformanceEvaluation, describeStoreConformance } from '../testing/store-conformance.js';
import { MemoryStore } from './memory-store.js';
import { SqliteStore } from './sqlite-store.js';

const root = mkdtempSync(join(tmpdir(), 'evalhub-store-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const sqlitePath = (): string => join(mkdtempSync(join(root, 'db-')), 'db', 'evalhub.db');

// The conformance suite every store passes unchanged (also run against PostgreSQL by
// @evalhub/store-postgres), then what only the SQLite store does.
describeStoreConformance({ describe, it, expect }, 'memory store', () => new MemoryStore());
describeStoreConformance(
  { describe, it, expect },
  'sqlite store',
  () => new SqliteStore({ path: sqlitePath() }),
);

const evaluation = conformanceEvaluation;

describe.each([
  ['memory', () => new MemoryStore()],
  ['sqlite', () => new SqliteStore({ path: sqlitePath() })],
] as const)('%s store: deleteEvaluation', (_name, make) => {
  it('deletes an evaluation with its idempotency key and tracking operations', async () => {
    const s = make();
    await s.createEvaluation(evaluation(1), 'key-1');
    await s.createEvaluation(evaluation(2));
    await s.appendTrackingOps('e001', [{ op: 'start' }]);
    await s.appendTrackingOps('e002', [{ op: 'start' }]);
    expect(await s.deleteEvaluation('e001')).toBe(true);
    expect(await s.deleteEvaluation('e001')).toBe(false);
    expect(await s.getEvaluation('e001')).toBeUndefined();
    expect((await s.listEvaluations({ limit: 10 })).items.map((e) => e.id)).toEqual(['e002']);
    expect((await s.pendingTrackingOps()).map((o) => o.evaluationId)).toEqual(['e002']);
    // The key is free again: a new evaluation may use it.
    expect((await s.createEvaluation(evaluation(3), 'key-1')).created).toBe(true);
    await s.close();
  });
});

describe('sqlite store group commit', () => {
  it('writes the newest state of an evaluation saved several times in one turn, once', async () => {
    const path = sqlitePath();
    const s = new SqliteStore({ path });
    const e = evaluation(1, { status: 'pending' });
    await s.createEvaluation(e);
    e.status = 'running';
    const first = s.saveEvaluation(e);
    e.status = 'completed';
    const second = s.saveEvaluation(e);
    expect(second).toBe(first);
    await second;
    await s.close();
    const reopened = new SqliteStore({ path });
    expect((await reopened.getEvaluation('e001'))?.status).toBe('completed');
    await reopened.close();
  });

  it('rejects only the failing write of a batch and commits the others', async () => {
    const s = new SqliteStore({ path: sqlitePath() });
    await s.createEvaluation(evaluation(1));
    const results = await Promise.allSettled([
      s.createEvaluation(evaluation(2)),
      s.createEvaluation(evaluation(1)), // the same id again: a UNIQUE violation
      s.createEvaluation(evaluation(3)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((await s.listEvaluations({ limit: 10 })).items.map((x) => x.id)).toEqual(['e003', 'e002', 'e001']);
    await s.close();
  });

  it('copies the WAL into the database file from its worker thread', async () => {
    const path = sqlitePath();
    const s = new SqliteStore({ path });
    for (let i = 0; i < 50; i++) await s.createEvaluation(evaluation(i));
    const before = statSync(path).size;
    const result = await s.checkpoint();
    expect(result.log).toBeGreaterThan(0);
    expect(result.checkpointed).toBe(result.log);
    expect(statSync(path).size).toBeGreaterThan(before);
    expect((await s.listEvaluations({ limit: 1 })).total).toBe(50);
    await s.close();
  });

  it('commits writes still queued when it is closed', async () => {
    const path = sqlitePath();
    const s = new SqliteStore({ path });
    const queued = s.createEvaluation(evaluation(7));
    await s.close();
    await expect(queued).resolves.toMatchObject({ created: true });
    const reopened = new SqliteStore({ path });
    expect((await reopened.getEvaluation('e007'))?.id).toBe('e007');
    await reopened.close();
  });
});
