import { describe, expect, it } from 'vitest';
import { EMBEDDING_DIMENSION, cosine, embed, toBase64 } from './embeddings.js';

describe('fixture embeddings', () => {
  it('are unit vectors of fixed dimension, deterministic', () => {
    const v = embed('The Sun is a star.');
    expect(v).toHaveLength(EMBEDDING_DIMENSION);
    expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    expect(embed('The Sun is a star.')).toEqual(v);
    expect(Math.hypot(...embed(''))).toBeCloseTo(1, 5);
  });

  it('rank related texts above unrelated ones', () => {
    const a = embed('When was the first Super Bowl played?');
    const related = embed('The first Super Bowl was played on January 15, 1967.');
    const unrelated = embed('Plants need sunlight and water to grow.');
    expect(cosine(a, related)).toBeGreaterThan(0.4);
    expect(cosine(a, related)).toBeGreaterThan(cosine(a, unrelated) + 0.2);
  });

  it('encode to little-endian float32 base64', () => {
    const buf = Buffer.from(toBase64([1, -0.5]), 'base64');
    expect(buf.readFloatLE(0)).toBe(1);
    expect(buf.readFloatLE(4)).toBe(-0.5);
  });
});
