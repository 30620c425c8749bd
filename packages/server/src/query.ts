import {
  EVALUATION_STATUSES,
  type ErrorDetail,
  type EvaluationQuery,
  type EvaluationStatus,
} from '@evalhub/core';
import { HttpError } from './http-error.js';

type RawQuery = Record<string, string | string[] | undefined>;

const STATUSES = EVALUATION_STATUSES;

/** Reads query parameters, collecting every problem as a `/name` pointer; throws one 400 at the end. */
export class QueryReader {
  readonly details: ErrorDetail[] = [];
  constructor(private readonly raw: RawQuery) {}

  string(name: string, options: { maxLength?: number } = {}): string | undefined {
    const v = this.raw[name];
    if (v === undefined) return undefined;
    if (Array.isArray(v)) {
      this.details.push({ pointer: `/${name}`, message: `Give '${name}' at most once.` });
      return undefined;
    }
    if (options.maxLength !== undefined && v.length > options.maxLength) {
      this.details.push({ pointer: `/${name}`, message: `Must be at most ${options.maxLength} characters.` });
      return undefined;
    }
    return v;
  }

  integer(name: string, min: number, max: number): number | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
      this.details.push({
        pointer: `/${name}`,
        message: `Must be a whole number from ${min} to ${max}, got '${v.slice(0, 50)}'.`,
      });
      return undefined;
    }
    return Number(v);
  }

  boolean(name: string): boolean | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    if (v === 'true') return true;
    if (v === 'false') return false;
    this.details.push({ pointer: `/${name}`, message: `Must be true or false, got '${v.slice(0, 50)}'.` });
    return undefined;
  }

  list(name: string): string[] {
    const v = this.raw[name];
    if (v === undefined) return [];
    return Array.isArray(v) ? v : [v];
  }

  done(): void {
    if (this.details.length > 0) {
      const first = this.details[0]!;
      throw new HttpError(
        'invalid_query',
        `Query parameter ${first.pointer.slice(1)} is invalid: ${first.message}${this.details.length > 1 ? ` (and ${this.details.length - 1} more)` : ''}`,
        this.details,
      );
    }
  }
}

/** `GET /api/v1/evaluations` query → the store's EvaluationQuery. */
export function parseListQuery(raw: RawQuery): EvaluationQuery {
  const q = new QueryReader(raw);
  const limit = q.integer('limit', 1, 500) ?? 50;
  const cursor = q.string('cursor', { maxLength: 200 });
  const offset = q.integer('offset', 0, Number.MAX_SAFE_INTEGER);
  const status = q.string('status');
  if (status !== undefined && !STATUSES.includes(status as EvaluationStatus)) {
    q.details.push({ pointer: '/status', message: `Must be one of: ${STATUSES.join(', ')}.` });
  }
  const experiment = q.string('experiment');
  const model = q.string('model');
  const provider = q.string('provider');
  const tags: Record<string, string> = {};
  for (const t of q.list('tag')) {
    const at = t.indexOf(':');
    if (at <= 0) {
      q.details.push({
        pointer: '/tag',
        message: `Tag filter '${t.slice(0, 100)}' must look like key:value (e.g. tag=environment:production).`,
      });
      continue;
    }
    const key = t.slice(0, at);
    if (key in tags && tags[key] !== t.slice(at + 1)) {
      q.details.push({
        pointer: '/tag',
        message: `Tag '${key}' is filtered on twice with different values; no evaluation can match.`,
      });
      continue;
    }
    tags[key] = t.slice(at + 1);
  }
  if (cursor !== undefined && offset !== undefined) {
    q.details.push({
      pointer: '/offset',
      message: "Use either 'cursor' (from next_cursor) or 'offset', not both.",
    });
  }
  q.done();
  return {
    limit,
    ...(cursor !== undefined ? { cursor } : {}),
    ...(offset !== undefined ? { offset } : {}),
    ...(status !== undefined ? { status: status as EvaluationStatus } : {}),
    ...(experiment !== undefined ? { experiment } : {}),
    ...(model !== undefined ? { model } : {}),
    ...(provider !== undefined ? { provider } : {}),
    ...(Object.keys(tags).length ? { tags } : {}),
  };
}
