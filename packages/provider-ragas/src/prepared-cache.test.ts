import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PreparedCache } from './prepared-cache.js';

const dir = mkdtempSync(join(tmpdir(), 'ragas-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('PreparedCache', () => {
  it('hands back what was put once, for the same key and an unchanged file', async () => {
    const cache = new PreparedCache<string>();
    const path = file('a.jsonl', '{"x":1}\n');
    await cache.put('ev:0', 'k', path, 'parsed');
    expect(await cache.take('ev:0', 'k')).toBe('parsed');
    expect(await cache.take('ev:0', 'k')).toBeUndefined();
  });

  it('misses when the config key differs or the file changed since', async () => {
    const cache = new PreparedCache<string>();
    const path = file('b.jsonl', '{"x":1}\n');
    await cache.put('ev:0', 'k', path, 'parsed');
    expect(await cache.take('ev:0', 'other')).toBeUndefined();
    await cache.put('ev:1', 'k', path, 'parsed');
    writeFileSync(path, '{"x":2}\n');
    utimesSync(path, new Date(), new Date(Date.now() + 5_000));
    expect(await cache.take('ev:1', 'k')).toBeUndefined();
  });

  it('stays within its entry and byte bounds, dropping the oldest first', async () => {
    const cache = new PreparedCache<number>({ maxEntries: 2, maxBytes: 20 });
    const small = file('c.jsonl', '0123456789'); // 10 bytes
    await cache.put('a', 'k', small, 1);
    await cache.put('b', 'k', small, 2);
    await cache.put('c', 'k', small, 3);
    expect(cache.size).toBe(2);
    expect(await cache.take('a', 'k')).toBeUndefined();
    expect(await cache.take('c', 'k')).toBe(3);
    await cache.put('big', 'k', file('d.jsonl', 'x'.repeat(50)), 4);
    expect(await cache.take('big', 'k')).toBeUndefined();
  });
});
