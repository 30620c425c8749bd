import { describe, expect, it } from 'vitest';
import { EOS_ID, EOS_TOKEN, decode, encode, textOffsets, tokenString } from './tokenizer.js';

describe('fixture byte tokenizer', () => {
  it('maps text to UTF-8 bytes and back', () => {
    const text = 'Water boils at 100 °C — naïve café 🌍';
    const ids = encode(text);
    expect(ids).toEqual([...Buffer.from(text, 'utf8')]);
    expect(decode(ids)).toBe(text);
  });

  it('recognises the EOS token string', () => {
    expect(encode(`ab${EOS_TOKEN}c`)).toEqual([97, 98, EOS_ID, 99]);
    expect(encode(EOS_TOKEN)[0]).toBe(EOS_ID);
    expect(decode([104, 105, EOS_ID])).toBe(`hi${EOS_TOKEN}`);
  });

  it('gives every id a distinct token string', () => {
    const strings = new Set(Array.from({ length: 257 }, (_, i) => tokenString(i)));
    expect(strings.size).toBe(257);
  });

  it('reports text offsets into the decoded text', () => {
    const text = 'aé🌍b';
    const ids = encode(text);
    const offsets = textOffsets(ids);
    expect(offsets).toHaveLength(ids.length);
    // a | é (2 bytes) | 🌍 (4 bytes, 2 UTF-16 units) | b
    expect(offsets).toEqual([0, 1, 1, 2, 2, 2, 2, 4]);
    expect(text.slice(offsets[7])).toBe('b');
  });
});
