import { describe, expect, it } from 'vitest';
import { sequencesOf } from './request-sequences.js';

describe('sequencesOf', () => {
  it('counts the prompts of a batched completion and the inputs of an embedding', () => {
    expect(sequencesOf('/v1/completions', { prompt: ['a', 'b', 'c'] })).toBe(3);
    expect(sequencesOf('/v1/completions', { prompt: [[1, 2], [3]] })).toBe(2);
    expect(sequencesOf('/v1/embeddings', { input: ['x', 'y'] })).toBe(2);
  });

  it('counts one for a single prompt, a chat, an empty or unparsed body', () => {
    expect(sequencesOf('/v1/completions', { prompt: 'a' })).toBe(1);
    expect(sequencesOf('/v1/completions', { prompt: [1, 2, 3] })).toBe(1);
    expect(sequencesOf('/v1/chat/completions', { messages: [{}, {}], prompt: ['a', 'b'] })).toBe(1);
    expect(sequencesOf('/v1/completions', { prompt: [] })).toBe(1);
    expect(sequencesOf('/v1/completions', undefined)).toBe(1);
  });
});
