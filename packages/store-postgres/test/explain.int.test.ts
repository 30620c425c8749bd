import type { EvaluationQuery } from '@evalhub/core';
import { conformanceEvaluation } from '@evalhub/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildListSql, type ListSql } from '../src/list-query.js';
import type { PostgresStore } from '../src/postgres-store.js';
import { openStore } from './harness.js';

const N = 100_000;

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

let store: PostgresStore;

beforeAll(async () => {
  store = await openStore({ pool_max: 2 });
  // 100,000 evaluations written in one statement (createEvaluation 100,000 times would only make
  // the test slow), each with the conformance suite's document: 6 statuses, 500 experiments,
  // 40 models, 3 providers, 200 teams.
  await store.db.query(
    `INSERT INTO evaluations (id, status, experiment, model, providers, tags, doc, created_at, updated_at)
     SELECT 'eval-' || i,
            (ARRAY['pending','running','completed','partially_failed','failed','cancelled'])[1 + i % 6],
            'experiment-' || (i % 500),
            'model-' || (i % 40),
            CASE WHEN i % 3 = 0 THEN ARRAY['lm_evaluation_harness','ragas'] ELSE ARRAY[(ARRAY['lm_evaluation_harness','ragas','garak'])[1 + i % 3]] END,
            jsonb_build_object('team', 'team-' || (i % 200), 'env', (ARRAY['dev','staging','prod'])[1 + i % 3]),
            replace($2, '"id":"e001"', '"id":"eval-' || i || '"')::json,
            now(), now()
     FROM generate_series(1, $1) AS i`,
    [N, JSON.stringify(conformanceEvaluation(1))],
  );
  // What autovacuum does on a live database: statistics and the visibility map (index-only scans).
  await store.db.query('VACUUM ANALYZE evaluations');
}, 300_000);

afterAll(async () => {
  await store?.close();
});

/**
 * Each filter shape, and whether its count (the page's `total`) is also read from an index. The page
 * itself always comes from an index (first page and after a cursor). A count of every row, or of a
 * filter matching a sixth or more of the table (one status, one of three providers), is answered
 * by a sequential scan whenever the planner finds that cheaper than visiting the same rows through
 * an index (measured on 100,000 rows: a few hundred ms either way); selective filters count from
 * their index.
 */
const shapes: [string, EvaluationQuery, { countIndexed: boolean }][] = [
  ['no filter', { limit: 20 }, { countIndexed: false }],
  ['no filter, offset', { limit: 20, offset: 40 }, { countIndexed: false }],
  ['status', { limit: 20, status: 'failed' }, { countIndexed: false }],
  ['experiment', { limit: 20, experiment: 'experiment-7' }, { countIndexed: true }],
  ['model', { limit: 20, model: 'model-3' }, { countIndexed: true }],
  ['provider', { limit: 20, provider: 'garak' }, { countIndexed: false }],
  ['tags', { limit: 20, tags: { team: 'team-42' } }, { countIndexed: true }],
  ['two tags', { limit: 20, tags: { team: 'team-42', env: 'prod' } }, { countIndexed: true }],
  ['status + model', { limit: 20, status: 'running', model: 'model-5' }, { countIndexed: true }],
  [
    'experiment + tags',
    { limit: 20, experiment: 'experiment-9', tags: { env: 'dev' } },
    { countIndexed: true },
  ],
  [
    'status + provider + tags',
    { limit: 20, status: 'completed', provider: 'garak', tags: { team: 'team-2' } },
    { countIndexed: true },
  ],
];

/** The SQL of a query every row could match (no U+0000 in it). */
function built(query: EvaluationQuery): ListSql {
  const sql = buildListSql(query);
  if (!sql) throw new Error(`no SQL for ${JSON.stringify(query)}`);
  return sql;
}

describe(`the list query on ${N.toLocaleString('en')} evaluations`, () => {
  it.each(shapes)('uses an index, never a sequential scan of evaluations: %s', async (_name, query, opts) => {
    // The first page, then the page after a cursor from the middle of the table.
    const first = built(query);
    const page = await store.listEvaluations(query);
    expect(page.items.length).toBeGreaterThan(0);
    const withCursor = page.next_cursor ? built({ ...query, cursor: page.next_cursor }) : first;
    for (const sql of [first.page, withCursor.page, ...(opts.countIndexed ? [first.count] : [])]) {
      const { rows } = await store.db.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
        `EXPLAIN (FORMAT JSON) ${sql.text}`,
        sql.values,
      );
      const all = nodes(rows[0]!['QUERY PLAN'][0].Plan);
      const scans = all.filter((n) => n['Relation Name'] === 'evaluations').map((n) => n['Node Type']);
      expect(scans.length, sql.text).toBeGreaterThan(0);
      expect(scans, sql.text).not.toContain('Seq Scan');
    }
  });
});
