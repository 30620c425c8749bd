import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConflictError } from '../errors.js';
import { MemoryStore } from '../stores/memory-store.js';
import { SqliteStore } from '../stores/sqlite-store.js';
import { CollectionCatalog } from './collection-catalog.js';

const dir = mkdtempSync(join(tmpdir(), 'evalhub-catalog-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const input = (name: string) => ({
  id: 'nightly',
  name,
  benchmarks: [{ benchmark_id: 'ok', provider_id: 'scripted' }],
});
const builtin = { id: 'healthcare', name: 'Healthcare', benchmarks: [], builtin: true };

describe.each([
  ['memory', () => new MemoryStore()],
  ['sqlite', () => new SqliteStore({ path: join(dir, `${Date.now()}.db`) })],
])('CollectionCatalog on the %s store', (_name, makeStore) => {
  it('creates a collection once when creates of one id race: the others are conflicts', async () => {
    const store = makeStore();
    const catalog = new CollectionCatalog(store, [builtin]);
    const results = await Promise.allSettled([1, 2, 3].map((n) => catalog.create(input(`N${n}`))));
    const created = results.filter((r) => r.status === 'fulfilled');
    expect(created).toHaveLength(1);
    for (const r of results.filter((r) => r.status === 'rejected')) {
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
      expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'collection_exists' });
    }
    expect((await catalog.get('nightly')).name).toBe(
      (created[0] as PromiseFulfilledResult<{ name: string }>).value.name,
    );
    await store.close();
  });

  it('refuses to create over a built-in collection', async () => {
    const store = makeStore();
    const catalog = new CollectionCatalog(store, [builtin]);
    await expect(catalog.create({ ...input('x'), id: 'healthcare' })).rejects.toMatchObject({
      code: 'collection_exists',
    });
    expect(await store.getCollection('healthcare')).toBeUndefined();
    await store.close();
  });

  it('replaces a collection whole: fields the replacement leaves out are gone, its creation time stays', async () => {
    const store = makeStore();
    const catalog = new CollectionCatalog(store, [builtin]);
    const created = await catalog.create({ ...input('Before'), description: 'old text' });
    const { id: _id, ...body } = input('After');
    const replaced = await catalog.replace('nightly', body);
    expect(replaced).toMatchObject({ id: 'nightly', name: 'After', builtin: false });
    expect(replaced.description).toBeUndefined();
    expect(replaced.created_at).toBe(created.created_at);
    expect(await catalog.get('nightly')).toEqual(replaced);
    await store.close();
  });
});
