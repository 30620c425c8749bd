import { describe, expect, it } from 'vitest';
import { HttpError } from './http-error.js';
import { parseListQuery } from './query.js';

function problem(raw: Record<string, string | string[]>): HttpError {
  try {
    parseListQuery(raw);
  } catch (err) {
    return err as HttpError;
  }
  throw new Error('expected a 400');
}

describe('parseListQuery', () => {
  it('defaults the limit to 50', () => {
    expect(parseListQuery({})).toEqual({ limit: 50 });
  });

  it('reads every filter, repeated tags AND-ed', () => {
    expect(
      parseListQuery({
        limit: '10',
        offset: '20',
        status: 'running',
        experiment: 'e',
        model: 'm',
        provider: 'ragas',
        tag: ['env:prod', 'url:http://x'],
      }),
    ).toEqual({
      limit: 10,
      offset: 20,
      status: 'running',
      experiment: 'e',
      model: 'm',
      provider: 'ragas',
      tags: { env: 'prod', url: 'http://x' },
    });
    expect(parseListQuery({ cursor: 'abc', tag: 'k:' })).toEqual({
      limit: 50,
      cursor: 'abc',
      tags: { k: '' },
    });
  });

  it('reports every bad value with a pointer', () => {
    const err = problem({ limit: '0', offset: '-1', status: 'done', tag: ':x' });
    expect(err.status).toBe(400);
    expect(err.details.map((d) => d.pointer)).toEqual(['/limit', '/offset', '/status', '/tag']);
    expect(problem({ limit: '501' }).details[0]!.pointer).toBe('/limit');
    expect(problem({ limit: '1.5' }).details[0]!.pointer).toBe('/limit');
    expect(problem({ limit: ['1', '2'] }).details[0]!.message).toMatch(/at most once/);
    expect(problem({ cursor: 'a', offset: '1' }).details[0]!.pointer).toBe('/offset');
    expect(problem({ tag: ['a:1', 'a:2'] }).details[0]!.pointer).toBe('/tag');
  });
});
