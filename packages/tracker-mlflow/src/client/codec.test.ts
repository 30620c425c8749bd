import { describe, expect, it } from 'vitest';
import { decodeDouble, encodeDouble, toKeyValues } from './codec.js';

describe('double codec', () => {
  it('encodes non-finite values as MLflow strings', () => {
    expect(encodeDouble(NaN)).toBe('NaN');
    expect(encodeDouble(Infinity)).toBe('Infinity');
    expect(encodeDouble(-Infinity)).toBe('-Infinity');
    expect(encodeDouble(0.1 + 0.2)).toBe(0.30000000000000004);
    expect(JSON.stringify({ v: encodeDouble(NaN) })).toBe('{"v":"NaN"}');
  });
  it('round-trips every double bit-exactly through JSON', () => {
    const values = [
      0,
      1e-310,
      5e-324,
      Number.MAX_VALUE,
      -Number.MIN_VALUE,
      0.1,
      1 / 3,
      123456789.12345679,
      NaN,
      Infinity,
      -Infinity,
    ];
    for (const v of values) {
      const back = decodeDouble(JSON.parse(JSON.stringify(encodeDouble(v))));
      expect(Object.is(back, v) || (Number.isNaN(v) && Number.isNaN(back)), String(v)).toBe(true);
    }
  });
  it('sends -0 as 0 (JSON has no negative zero)', () => {
    expect(JSON.stringify(encodeDouble(-0))).toBe('0');
  });
  it('rejects garbage', () => {
    expect(() => decodeDouble(null)).toThrow(TypeError);
    expect(() => decodeDouble('abc')).toThrow(TypeError);
  });
  it('maps records to key/value lists', () => {
    expect(toKeyValues({ a: '1', b: '2' })).toEqual([
      { key: 'a', value: '1' },
      { key: 'b', value: '2' },
    ]);
    expect(toKeyValues(undefined)).toEqual([]);
  });
});
