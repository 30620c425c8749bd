import { conformanceEvaluation } from '@evalhub/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import type { PostgresStore } from '../src/postgres-store.js';
import { freshSchema, openStore } from './harness.js';

const opened: PostgresStore[] = [];
afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
});

describe('idempotency keys across replicas', () => {
  it('creates exactly one evaluation per key when 100 creates race on two replicas', async () => {
    const schema = freshSchema('idem');
    const [a, b] = await Promise.all([openStore({ schema }), openStore({ schema })]);
    opened.push(a!, b!);
    // 100 creates at once, spread over the replicas: 50 with fresh keys, 50 reusing one of them.
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => {
        const store = i % 2 ? a! : b!;
        const key = `key-${i % 50}`;
        return store.createEvaluation(conformanceEvaluation(i), key).then((r) => ({ key, ...r }));
      }),
    );
    const created = results.filter((r) => r.created);
    expect(created.length).toBe(50);
    expect(new Set(created.map((r) => r.key)).size).toBe(50);
    // Every answer for a key is the evaluation created for it.
    const byKey = new Map(created.map((r) => [r.key, r.evaluation.id]));
    expect(results.every((r) => r.evaluation.id === byKey.get(r.key))).toBe(true);
    expect((await a!.listEvaluations({ limit: 1 })).total).toBe(50);
  });
});
