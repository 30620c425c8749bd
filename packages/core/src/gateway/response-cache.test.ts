import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ResponseCache, cacheKey, isCacheable } from './response-cache.js';

const dir = mkdtempSync(join(tmpdir(), 'evalhub-gateway-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const key = (body: string, server = 'http://a/v1', model = 'm'): string =>
  cacheKey({ server, model, method: 'POST', path: '/v1/completions', body: Buffer.from(body) });

describe('cacheKey', () => {
  it('depends on server, model, path and the exact body bytes', () => {
    const k = key('{"a":1}');
    expect(key('{"a":1}')).toBe(k);
    expect(key('{"a": 1}')).not.toBe(k);
    expect(key('{"a":1}', 'http://b/v1')).not.toBe(k);
    expect(key('{"a":1}', 'http://a/v1', 'other')).not.toBe(k);
  });
});

describe('isCacheable', () => {
  it('caches greedy or seeded requests and embeddings, never streams or unseeded sampling', () => {
    expect(isCacheable('/v1/completions', { temperature: 0 })).toBe(true);
    expect(isCacheable('/v1/completions', { temperature: 0.7, seed: 1 })).toBe(true);
    expect(isCacheable('/v1/chat/completions', { temperature: 0 })).toBe(true);
    expect(isCacheable('/v1/embeddings', { input: 'x' })).toBe(true);
    expect(isCacheable('/v1/completions', { temperature: 0.7 })).toBe(false);
    expect(isCacheable('/v1/completions', {})).toBe(false);
    expect(isCacheable('/v1/completions', { temperature: 0, stream: true })).toBe(false);
    expect(isCacheable('/tokenize', { temperature: 0 })).toBe(false);
  });
});

describe('ResponseCache', () => {
  it('stores and replays answers across reopen', () => {
    const file = join(dir, 'a', 'cache.db');
    const cache = new ResponseCache({ file });
    expect(cache.get(key('x'))).toBeUndefined();
    cache.put(key('x'), { status: 200, contentType: 'application/json', body: Buffer.from('{"ok":1}') });
    cache.close();
    const again = new ResponseCache({ file });
    expect(again.get(key('x'))).toEqual({
      status: 200,
      contentType: 'application/json',
      body: Buffer.from('{"ok":1}'),
    });
    expect(again.stats()).toMatchObject({ entries: 1, bytes: 8 });
    again.close();
  });

  it('evicts least recently used answers beyond its size', () => {
    const cache = new ResponseCache({ file: join(dir, 'lru.db'), maxBytes: 1000 });
    const body = Buffer.alloc(300, 1);
    cache.put(key('1'), { status: 200, contentType: undefined, body });
    cache.put(key('2'), { status: 200, contentType: undefined, body });
    cache.put(key('3'), { status: 200, contentType: undefined, body });
    expect(cache.get(key('1'))).toBeDefined(); // 1 is now the most recently used
    cache.put(key('4'), { status: 200, contentType: undefined, body });
    expect(cache.get(key('2'))).toBeUndefined();
    expect(cache.get(key('1'))).toBeDefined();
    expect(cache.get(key('4'))).toBeDefined();
    expect(cache.stats().bytes).toBeLessThanOrEqual(1000);
    // an answer larger than the whole cache is not stored
    cache.put(key('big'), { status: 200, contentType: undefined, body: Buffer.alloc(2000) });
    expect(cache.get(key('big'))).toBeUndefined();
    cache.close();
  });
});
