import { decodeCursor, type EvaluationQuery } from '@evalhub/core';
import { storableText } from './text.js';

export interface ListSql {
  /** `SELECT count(*)` over the filter. */
  count: { text: string; values: unknown[] };
  /** One page, newest first, one row more than the limit (to know whether there is a next page). */
  page: { text: string; values: unknown[] };
}

/**
 * The list query of one EvaluationQuery. Each filter is a predicate one of the evaluations table's
 * indexes serves: status / experiment / model by b-tree (ending in ordinal, so a page is read in
 * order), the provider by array containment (GIN), tags by JSON containment (GIN, jsonb_path_ops).
 * Pagination is keyset on ordinal (`ordinal < cursor`), or OFFSET when no cursor is given.
 * `undefined` when a filter holds text no row can hold (see storableText): nothing matches.
 */
export function buildListSql(q: EvaluationQuery): ListSql | undefined {
  const filters = [q.experiment, q.model, q.provider, ...Object.entries(q.tags ?? {}).flat()];
  if (!filters.every((f) => f === undefined || storableText(f))) return undefined;
  const where: string[] = [];
  const values: unknown[] = [];
  const param = (v: unknown): string => {
    values.push(v);
    return `$${values.length}`;
  };
  if (q.status) where.push(`status = ${param(q.status)}`);
  if (q.experiment) where.push(`experiment = ${param(q.experiment)}`);
  if (q.model) where.push(`model = ${param(q.model)}`);
  if (q.provider) where.push(`providers @> ARRAY[${param(q.provider)}]::text[]`);
  if (q.tags && Object.keys(q.tags).length > 0) where.push(`tags @> ${param(JSON.stringify(q.tags))}::jsonb`);
  const countText = `SELECT count(*)::int AS n FROM evaluations${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`;
  const countValues = [...values];

  if (q.cursor !== undefined) where.push(`ordinal < ${param(decodeCursor(q.cursor))}`);
  const limit = param(q.limit + 1);
  const offset = q.cursor === undefined && q.offset ? ` OFFSET ${param(q.offset)}` : '';
  const pageText = `SELECT ordinal, doc FROM evaluations${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ordinal DESC LIMIT ${limit}${offset}`;
  return { count: { text: countText, values: countValues }, page: { text: pageText, values } };
}
