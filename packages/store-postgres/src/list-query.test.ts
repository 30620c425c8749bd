import { encodeCursor, type EvaluationQuery } from '@evalhub/core';
import { describe, expect, it } from 'vitest';
import { buildListSql } from './list-query.js';

describe('the list query', () => {
  it('puts every filter in a parameter and pages by keyset', () => {
    const sql = buildListSql({
      limit: 20,
      cursor: encodeCursor(42),
      status: 'failed',
      provider: 'ragas',
      tags: { team: "o'brien" },
    });
    expect(sql?.count.text).toBe(
      'SELECT count(*)::int AS n FROM evaluations WHERE status = $1 AND providers @> ARRAY[$2]::text[] AND tags @> $3::jsonb',
    );
    expect(sql?.page.text).toBe(
      'SELECT ordinal, doc FROM evaluations WHERE status = $1 AND providers @> ARRAY[$2]::text[] AND tags @> $3::jsonb AND ordinal < $4 ORDER BY ordinal DESC LIMIT $5',
    );
    expect(sql?.page.values).toEqual(['failed', 'ragas', '{"team":"o\'brien"}', 42, 21]);
  });

  it('uses OFFSET only without a cursor', () => {
    expect(buildListSql({ limit: 5, offset: 10 })?.page).toEqual({
      text: 'SELECT ordinal, doc FROM evaluations ORDER BY ordinal DESC LIMIT $1 OFFSET $2',
      values: [6, 10],
    });
  });

  it('builds no query for a filter holding U+0000, which no row can hold', () => {
    const queries: Omit<EvaluationQuery, 'limit'>[] = [
      { model: 'a\u0000' },
      { tags: { 'k\u0000': 'v' } },
      { tags: { k: '\u0000' } },
    ];
    for (const q of queries) {
      expect(buildListSql({ limit: 5, ...q })).toBeUndefined();
    }
  });
});
