import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EvaluationStore } from '../extension-points/store.js';
import { sampleEvaluation } from '../testing/conformance.js';
import type { Evaluation } from '../types.js';
import { MemoryStore } from './memory-store.js';
import { SqliteStore } from './sqlite-store.js';

const root = mkdtempSync(join(tmpdir(), 'evalhub-store-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const sqlitePath = (): string => join(mkdtempSync(join(root, 'db-')), 'db', 'evalhub.db');

const stores: [string, () => EvaluationStore][] = [
  ['memory', () => new MemoryStore()],
  ['sqlite', () => new SqliteStore({ path: sqlitePath() })],
];

function evaluation(i: number, patch: Partial<Evaluation> = {}): Evaluation {
  return sampleEvaluation({
    id: `e${String(i).padStart(3, '0')}`,
    status: i % 3 === 0 ? 'failed' : 'completed',
    model: {
      server: 'vllm',
      name: i % 2 ? 'odd-model' : 'even-model',
      url: 'http://h/v1',
      configuration: {},
    },
    experiment: {
      name: i < 5 ? 'early' : 'late',
      tags: { parity: i % 2 ? 'odd' : 'even', 'team.name': 'ml-ops' },
    },
    ...patch,
  });
}

describe.each(stores)('%s store', (_name, make) => {
  it('deletes an evaluation with its idempotency key and tracking operations', async () => {
    const s = make();
    await s.createEvaluation(evaluation(1), 'key-1');
    await s.createEvaluation(evaluation(2));
    await s.appendTrackingOps('e001', [{ op: 'start' }]);
    await s.appendTrackingOps('e002', [{ op: 'start' }]);
    expect(await s.deleteEvaluation!('e001')).toBe(true);
    expect(await s.deleteEvaluation!('e001')).toBe(false);
    expect(await s.getEvaluation('e001')).toBeUndefined();
    expect((await s.listEvaluations({ limit: 10 })).items.map((e) => e.id)).toEqual(['e002']);
    expect((await s.pendingTrackingOps()).map((o) => o.evaluationId)).toEqual(['e002']);
    // The key is free again: a new evaluation may use it.
    expect((await s.createEvaluation(evaluation(3), 'key-1')).created).toBe(true);
    await s.close();
  });

  it('pages newest first with stable cursors, and filters', async () => {
    const s = make();
    for (let i = 0; i < 12; i++) await s.createEvaluation(evaluation(i));
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await s.listEvaluations({ limit: 5, ...(cursor ? { cursor } : {}) });
      if (seen.length === 0) expect(page.total).toBe(12);
      seen.push(...page.items.map((e) => e.id));
      cursor = page.next_cursor;
      if (cursor) await s.createEvaluation(evaluation(100 + seen.length)); // new arrivals never shift a cursor
    } while (cursor);
    expect(seen).toEqual(Array.from({ length: 12 }, (_, i) => `e${String(11 - i).padStart(3, '0')}`));

    const failed = (await s.listEvaluations({ limit: 50, status: 'failed' })).items.map((e) => e.id);
    expect(failed.slice(-4)).toEqual(['e009', 'e006', 'e003', 'e000']);
    expect(
      (await s.listEvaluations({ limit: 50, offset: 2, status: 'failed' })).items.map((e) => e.id),
    ).toEqual(failed.slice(2));
    expect(
      (await s.listEvaluations({ limit: 50, model: 'odd-model', experiment: 'early' })).items.map(
        (e) => e.id,
      ),
    ).toEqual(['e003', 'e001']);
    expect(
      (
        await s.listEvaluations({
          limit: 50,
          tags: { parity: 'even', 'team.name': 'ml-ops' },
          experiment: 'late',
        })
      ).total,
    ).toBe(4);
    expect((await s.listEvaluations({ limit: 50, provider: 'conformance' })).total).toBeGreaterThanOrEqual(
      12,
    );
    expect((await s.listEvaluations({ limit: 50, provider: 'conf%' })).total).toBe(0);
    await s.close();
  });

  it('returns the first evaluation for a repeated idempotency key', async () => {
    const s = make();
    const a = await s.createEvaluation(evaluation(1), 'key-1');
    const b = await s.createEvaluation(evaluation(2), 'key-1');
    expect(a.created).toBe(true);
    expect(b).toMatchObject({ created: false, evaluation: { id: 'e001' } });
    await s.close();
  });

  it('gives each of many writes issued at once its own answer, idempotency keys included', async () => {
    const s = make();
    const created = await Promise.all([
      s.createEvaluation(evaluation(1), 'same-key'),
      s.createEvaluation(evaluation(2), 'same-key'),
      s.createEvaluation(evaluation(3)),
      s.appendTrackingOps('e003', [{ op: 'start' }]),
      s.saveEvaluation(evaluation(3, { status: 'running' })),
    ]);
    expect(created.slice(0, 3)).toMatchObject([
      { created: true, evaluation: { id: 'e001' } },
      { created: false, evaluation: { id: 'e001' } },
      { created: true, evaluation: { id: 'e003' } },
    ]);
    expect((await s.getEvaluation('e003'))?.status).toBe('running');
    expect(await s.getEvaluation('e002')).toBeUndefined();
    expect(await s.countPendingTrackingOps()).toBe(1);
    await s.close();
  });

  it('keeps the tracking journal in order until completed', async () => {
    const s = make();
    await s.appendTrackingOps('a', [
      { op: 'start' },
      { op: 'log', batch: { metrics: { x: 1 }, timestamp: 1 } },
    ]);
    await s.appendTrackingOps('b', [{ op: 'finish' }]);
    const all = await s.pendingTrackingOps();
    expect(all.map((o) => o.op.op)).toEqual(['start', 'log', 'finish']);
    await s.completeTrackingOps([all[0]!.seq]);
    expect((await s.pendingTrackingOps('a')).map((o) => o.op.op)).toEqual(['log']);
    expect(await s.countPendingTrackingOps()).toBe(2);
    await s.close();
  });

  it('stores user collections and lists unfinished evaluations', async () => {
    const s = make();
    await s.putCollection({ id: 'c', name: 'C', benchmarks: [], builtin: false });
    expect((await s.getCollection('c'))?.name).toBe('C');
    expect(await s.deleteCollection('c')).toBe(true);
    expect(await s.deleteCollection('c')).toBe(false);
    await s.createEvaluation(evaluation(1, { status: 'running' }));
    await s.createEvaluation(evaluation(2));
    expect((await s.listUnfinished()).map((e) => e.id)).toEqual(['e001']);
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
