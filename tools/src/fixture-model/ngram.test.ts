import { describe, expect, it } from 'vitest';
import { NgramModel, pickToken, prng, topOf } from './ngram.js';
import { FixtureEngine } from './engine.js';
import { encode } from './tokenizer.js';

const lm = new NgramModel();

describe('fixture n-gram language model', () => {
  it('returns normalised distributions with no zero probabilities', () => {
    for (const text of ['', 'The Earth', 'zzqx#', 'Question: What']) {
      const dist = lm.distribution(encode(text));
      const sum = dist.reduce((a, b) => a + b, 0);
      expect(sum).toBeCloseTo(1, 9);
      expect(Math.min(...dist)).toBeGreaterThan(0);
    }
  });

  it('scores plausible continuations above implausible ones', () => {
    const context = encode('The Earth orbits the');
    const score = (cont: string): number => {
      const ids = [...context, ...encode(cont)];
      return lm.score(ids, context.length);
    };
    expect(score(' Sun')).toBeGreaterThan(score(' Xqz'));
    expect(score(' Sun once every year.')).toBeGreaterThan(score(' bicycle purple green'));
  });

  it('is deterministic and not constant', () => {
    const ids = encode('Plants need sunlight, water and air.');
    const a = ids.map((_, i) => new NgramModel().logprob(ids, i));
    const b = ids.map((_, i) => lm.logprob(ids, i));
    expect(a).toEqual(b);
    expect(new Set(b.map((x) => x.toFixed(6))).size).toBeGreaterThan(5);
  });

  it('orders top tokens by probability', () => {
    const top = lm.top(encode('The Moon orbits the Eart'), 24, 3);
    expect(top[0]?.id).toBe('h'.charCodeAt(0));
    expect(top[0]!.logprob).toBeGreaterThanOrEqual(top[1]!.logprob);
    expect(topOf(lm.distribution([]), 0)).toEqual([]);
  });

  it('samples reproducibly with a seed and greedily at temperature 0', () => {
    const dist = lm.distribution(encode('Water fr'));
    expect(pickToken(dist, 0, prng(1))).toBe('e'.charCodeAt(0));
    const draw = (seed: number): number[] => {
      const r = prng(seed);
      return Array.from({ length: 20 }, () => pickToken(dist, 1.5, r));
    };
    expect(draw(42)).toEqual(draw(42));
  });

  it('generates corpus-like text greedily and honours stop strings', () => {
    const engine = new FixtureEngine(lm);
    const gen = engine.generate(encode('Water freezes at'), { maxTokens: 40 });
    expect(gen.text.startsWith(' zero degrees')).toBe(true);
    expect(gen.ids).toHaveLength(40);
    expect(gen.finishReason).toBe('length');
    const stopped = engine.generate(encode('Water freezes at'), { maxTokens: 40, stop: ['degrees'] });
    expect(stopped.text).toBe(' zero ');
    expect(stopped.finishReason).toBe('stop');
    expect(stopped.stopReason).toBe('degrees');
  });
});
