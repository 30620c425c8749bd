import { describe, expect, it } from 'vitest';
import { BatchValidationError, chunkBatch, prepareBatch } from './batch.js';
import { MLFLOW_LIMITS } from './keys.js';

const metrics = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ key: `m${i}`, value: i / 7, timestamp: 1, step: 0 }));

describe('prepareBatch', () => {
  it('encodes NaN, defaults timestamp and step, sanitises keys', () => {
    const p = prepareBatch({ metrics: [{ key: 'acc,none', value: NaN }] }, { now: 42 });
    expect(p.metrics).toEqual([{ key: 'acc_none', value: 'NaN', timestamp: 42, step: 0 }]);
    expect(p.renamed).toEqual({ 'acc,none': 'acc_none' });
  });
  it('rejects invalid keys in reject mode, naming the key', () => {
    expect(() => prepareBatch({ tags: [{ key: 'bad key!', value: 'x' }] }, { keyPolicy: 'reject' })).toThrow(
      BatchValidationError,
    );
    try {
      prepareBatch({ tags: [{ key: 'bad key!', value: 'x' }] }, { keyPolicy: 'reject' });
    } catch (err) {
      expect((err as BatchValidationError).key).toBe('bad key!');
    }
  });
  it('truncates long params and tags with a marker and reports them', () => {
    const p = prepareBatch({
      params: [{ key: 'p', value: 'v'.repeat(6001) }],
      tags: [{ key: 't', value: 'v'.repeat(8001) }],
    });
    expect(p.params[0]!.value.length).toBeLessThanOrEqual(MLFLOW_LIMITS.maxParamValueLength);
    expect(p.tags[0]!.value.length).toBeLessThanOrEqual(MLFLOW_LIMITS.maxRunTagValueLength);
    expect(p.truncated).toEqual(['p', 't']);
  });
  it('folds identical duplicate params and refuses conflicting ones', () => {
    expect(
      prepareBatch({
        params: [
          { key: 'a', value: '1' },
          { key: 'a', value: '1' },
        ],
      }).params,
    ).toEqual([{ key: 'a', value: '1' }]);
    expect(() =>
      prepareBatch({
        params: [
          { key: 'a', value: '1' },
          { key: 'a', value: '2' },
        ],
      }),
    ).toThrow(/immutable/);
  });
  it('keeps the last value of a duplicate tag', () => {
    expect(
      prepareBatch({
        tags: [
          { key: 'a', value: '1' },
          { key: 'a', value: '2' },
        ],
      }).tags,
    ).toEqual([{ key: 'a', value: '2' }]);
  });
});

describe('chunkBatch', () => {
  it('yields nothing for an empty batch', () => {
    expect(chunkBatch({ metrics: [], params: [], tags: [] })).toEqual([]);
  });
  it('keeps a small batch in one request', () => {
    const p = prepareBatch({ metrics: metrics(200), params: [{ key: 'a', value: '1' }] });
    expect(chunkBatch(p)).toHaveLength(1);
  });
  it('respects 1000 metrics / 100 params / 100 tags / 1000 entities and keeps every entity once, in order', () => {
    const p = prepareBatch({
      metrics: metrics(2500),
      params: Array.from({ length: 250 }, (_, i) => ({ key: `p${i}`, value: String(i) })),
      tags: Array.from({ length: 150 }, (_, i) => ({ key: `t${i}`, value: String(i) })),
    });
    const chunks = chunkBatch(p);
    for (const c of chunks) {
      expect(c.metrics.length).toBeLessThanOrEqual(1000);
      expect(c.params.length).toBeLessThanOrEqual(100);
      expect(c.tags.length).toBeLessThanOrEqual(100);
      expect(c.metrics.length + c.params.length + c.tags.length).toBeLessThanOrEqual(1000);
    }
    expect(chunks.flatMap((c) => c.metrics)).toEqual(p.metrics);
    expect(chunks.flatMap((c) => c.params)).toEqual(p.params);
    expect(chunks.flatMap((c) => c.tags)).toEqual(p.tags);
    // 2900 entities and 250 params cannot fit in fewer than 3 requests
    expect(chunks).toHaveLength(3);
  });
  it('splits by bytes below the 1 MB request limit', () => {
    const p = prepareBatch({
      params: Array.from({ length: 100 }, (_, i) => ({ key: `p${i}`, value: 'x'.repeat(6000) })),
      tags: Array.from({ length: 100 }, (_, i) => ({ key: `t${i}`, value: 'y'.repeat(8000) })),
    });
    const chunks = chunkBatch(p);
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) expect(Buffer.byteLength(JSON.stringify(c))).toBeLessThan(1_000_000);
  });
});
