import { describe, expect, it } from 'vitest';
import { findInvalidUtf8, findTooDeep, pointerOfByte } from './json-text.js';

describe('findTooDeep', () => {
  it('is undefined within the limit and names the first value too deep', () => {
    expect(findTooDeep({ a: [{ b: 1 }] }, 3)).toBeUndefined();
    expect(findTooDeep({ a: [{ b: {} }] }, 3)).toBe('/a/0/b');
    expect(findTooDeep({ 'x/y~': [[]] }, 2)).toBe('/x~1y~0/0');
    expect(findTooDeep('text', 1)).toBeUndefined();
  });

  it('walks 100,000 levels without overflowing the stack', () => {
    const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`) as unknown;
    expect(findTooDeep(deep, 64)).toBe(`${'/0'.repeat(64)}`);
  });
});

describe('findInvalidUtf8', () => {
  it('accepts well-formed UTF-8, including 4-byte characters', () => {
    expect(findInvalidUtf8(Buffer.from('aé€😀'))).toBeUndefined();
  });

  it('finds stray, truncated, overlong and surrogate sequences', () => {
    expect(findInvalidUtf8(Buffer.from([0x61, 0xff]))).toBe(1);
    expect(findInvalidUtf8(Buffer.from([0x61, 0xe2, 0x82]))).toBe(1);
    expect(findInvalidUtf8(Buffer.from([0xc0, 0xaf]))).toBe(0);
    expect(findInvalidUtf8(Buffer.from([0xe0, 0x80, 0xaf]))).toBe(0);
    expect(findInvalidUtf8(Buffer.from([0xed, 0xa0, 0x80]))).toBe(0);
    expect(findInvalidUtf8(Buffer.from([0xf4, 0x90, 0x80, 0x80]))).toBe(0);
  });
});

describe('pointerOfByte', () => {
  const at = (bytes: Buffer): number => findInvalidUtf8(bytes)!;
  const body = (...parts: (string | number[])[]): Buffer =>
    Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

  it('names the string value that holds the invalid byte', () => {
    const bytes = body('{"model":{"server":"vllm","name":"my-', [0xff], '-model"},"tags":["a"]}');
    expect(pointerOfByte(bytes, at(bytes))).toBe('/model/name');
  });

  it('names the member whose key holds it, inside arrays, with the pointer escaped', () => {
    const bytes = body('{"benchmarks":[{},{"config":{"a/b":{"x', [0xc0, 0xaf], '":1}}}]}');
    expect(pointerOfByte(bytes, at(bytes))).toBe('/benchmarks/1/config/a~1b/x\uFFFD\uFFFD');
  });

  it('is not misled by U+FFFD or private-use characters the body already has', () => {
    const bytes = body('{"a":"\uFFFD\uE000","b":"', [0xff], '"}');
    expect(pointerOfByte(bytes, at(bytes))).toBe('/b');
  });

  it("is '' when the byte is outside any string or the body is not JSON", () => {
    const truncated = body('{"name":"x"', [0xe2, 0x82]);
    expect(pointerOfByte(truncated, at(truncated))).toBe('');
  });
});
