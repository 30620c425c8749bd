import type { EvaluationQuery, EvaluationStore } from '../extension-points/store.js';
import type { Evaluation } from '../types.js';
import { sampleEvaluation } from './conformance.js';

/** The assertions the suite uses; vitest's and jest's `expect` fit it. */
export interface StoreConformanceMatchers {
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
  toMatchObject(expected: object): void;
  toBeUndefined(): void;
  toBeGreaterThanOrEqual(expected: number): void;
}

/** The test runner's functions, passed in so that core does not depend on a test runner. */
export interface StoreConformanceApi {
  describe(name: string, body: () => void): void;
  it(name: string, body: () => Promise<void>): void;
  expect(actual: unknown): StoreConformanceMatchers;
}

/** A fresh, empty store per call; the suite closes each one it gets. */
export type StoreFactory = () => EvaluationStore | Promise<EvaluationStore>;

/** The suite's evaluation `e{i}`: status, model, experiment and tags derived from `i`. */
export function conformanceEvaluation(i: number, patch: Partial<Evaluation> = {}): Evaluation {
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

/**
 * The EvaluationStore conformance suite: every store (memory, SQLite, PostgreSQL, a third party's)
 * must pass it unchanged. Call it inside a test file:
 *
 * ```ts
 * import { describe, expect, it } from 'vitest';
 * import { describeStoreConformance } from '@evalhub/core/testing';
 * describeStoreConformance({ describe, it, expect }, 'my store', () => new MyStore());
 * ```
 */
export function describeStoreConformance(api: StoreConformanceApi, name: string, make: StoreFactory): void {
  const { describe, it, expect } = api;
  const evaluation = conformanceEvaluation;

  describe(name, () => {
    it('pages newest first with stable cursors, and filters', async () => {
      const s = await make();
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

    it('answers lookups and filters of any string: U+0000, quotes and path syntax match only themselves', async () => {
      const s = await make();
      const odd = { 'a"b': 'q', 'back\\slash': 'b', '$.x[0]': 'p' };
      await s.createEvaluation(
        evaluation(1, {
          experiment: { name: 'early', tags: { ...evaluation(1).experiment!.tags, ...odd } },
        }),
      );
      for (const [k, v] of Object.entries(odd)) {
        expect((await s.listEvaluations({ limit: 5, tags: { [k]: v } })).total).toBe(1);
      }
      // No stored value holds U+0000 (the API refuses control characters), so filtering on one matches
      // nothing; it must not fail the query (PostgreSQL text cannot carry it, a JSON path cannot spell it).
      const nul = 'a\u0000b';
      const queries: Omit<EvaluationQuery, 'limit'>[] = [
        { tags: { [nul]: 'odd' } },
        { tags: { parity: nul } },
        { tags: { 'a"b': 'q', '"': '' } },
        { model: nul },
        { experiment: nul },
        { provider: nul },
      ];
      for (const q of queries) {
        expect(await s.listEvaluations({ limit: 5, ...q })).toEqual({ items: [], total: 0 });
      }
      expect(await s.getEvaluation(nul)).toBeUndefined();
      expect(await s.getCollection(nul)).toBeUndefined();
      expect(await s.deleteCollection(nul)).toBe(false);
      await s.close();
    });

    it('returns the first evaluation for a repeated idempotency key', async () => {
      const s = await make();
      const a = await s.createEvaluation(evaluation(1), 'key-1');
      const b = await s.createEvaluation(evaluation(2), 'key-1');
      expect(a.created).toBe(true);
      expect(b).toMatchObject({ created: false, evaluation: { id: 'e001' } });
      await s.close();
    });

    it('gives each of many writes issued at once its own answer, idempotency keys included', async () => {
      const s = await make();
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
      const s = await make();
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

    it('deletes an evaluation with its idempotency key and tracking ops, where the store can', async () => {
      const s = await make();
      // Optional in the interface: a store without it is not asked (eval-hub's hard_delete is refused).
      if (s.deleteEvaluation) {
        await s.createEvaluation(evaluation(1), 'key-1');
        await s.createEvaluation(evaluation(2));
        await s.appendTrackingOps('e001', [{ op: 'finish' }]);
        await s.appendTrackingOps('e002', [{ op: 'finish' }]);
        expect(await s.deleteEvaluation('e001')).toBe(true);
        expect(await s.deleteEvaluation('e001')).toBe(false);
        expect(await s.deleteEvaluation('\u0000')).toBe(false);
        expect(await s.getEvaluation('e001')).toBeUndefined();
        expect((await s.pendingTrackingOps()).map((o) => o.evaluationId)).toEqual(['e002']);
        // The key is free again: it creates a new evaluation.
        expect((await s.createEvaluation(evaluation(3), 'key-1')).created).toBe(true);
        expect((await s.listEvaluations({ limit: 10 })).items.map((e) => e.id)).toEqual(['e003', 'e002']);
      }
      await s.close();
    });

    it('stores user collections and lists unfinished evaluations', async () => {
      const s = await make();
      const c = { id: 'c', name: 'C', benchmarks: [], builtin: false };
      // Of creates of one id at once, exactly one stores it; the others change nothing.
      const created = await Promise.all([1, 2, 3].map((n) => s.createCollection({ ...c, name: `C${n}` })));
      expect(created.filter(Boolean).length).toBe(1);
      const winner = `C${created.indexOf(true) + 1}`;
      expect((await s.getCollection('c'))?.name).toBe(winner);
      expect(await s.createCollection({ ...c, name: 'later' })).toBe(false);
      expect((await s.getCollection('c'))?.name).toBe(winner);
      await s.putCollection({ ...c, name: 'C' });
      expect((await s.getCollection('c'))?.name).toBe('C');
      expect(await s.deleteCollection('c')).toBe(true);
      expect(await s.deleteCollection('c')).toBe(false);
      await s.createEvaluation(evaluation(1, { status: 'running' }));
      await s.createEvaluation(evaluation(2));
      expect((await s.listUnfinished()).map((e) => e.id)).toEqual(['e001']);
      await s.close();
    });
  });
}

/**
 * The LogTails part of the suite, for stores that offer `logTails` (replicas without a shared
 * disk). Call it beside describeStoreConformance with a factory of such stores.
 */
export function describeLogTailsConformance(
  api: StoreConformanceApi,
  name: string,
  make: StoreFactory,
): void {
  const { describe, it, expect } = api;
  describe(`${name}: log tails`, () => {
    it('keeps each segment’s newest lines, in the order the segments began, per benchmark', async () => {
      const s = await make();
      const tails = s.logTails!;
      await s.createEvaluation(conformanceEvaluation(1, { status: 'running' }));
      const put = (benchmarkIndex: number, attempt: number, segment: string, lines: string[]) =>
        tails.put({ evaluationId: 'e001', benchmarkIndex, attempt, segment, lines });
      await put(0, 1, 'first', ['a1']);
      await put(1, 1, 'other-benchmark', ['b1']);
      await put(0, 2, 'second', ['a2']);
      // A later put of a segment replaces its lines and keeps its place.
      await put(0, 1, 'first', ['a1', 'a1 again', 'a\u0000null']);
      await put(0, 3, 'empty', []);
      const listed = await tails.list('e001');
      expect(listed.map((t) => [t.benchmarkIndex, t.attempt, t.segment, t.lines])).toEqual([
        [0, 1, 'first', ['a1', 'a1 again', 'a\uFFFDnull']],
        [0, 2, 'second', ['a2']],
        [0, 3, 'empty', []],
        [1, 1, 'other-benchmark', ['b1']],
      ]);
      // Nothing is stored for an evaluation that does not exist, and nothing is read for one.
      await tails.put({ evaluationId: 'gone', benchmarkIndex: 0, attempt: 1, segment: 'x', lines: ['x'] });
      expect(await tails.list('gone')).toEqual([]);
      expect(await tails.list('\u0000')).toEqual([]);
      await s.close();
    });
  });
}
