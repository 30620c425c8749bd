import { describe, expect, it } from 'vitest';
import { checkPromptLogprobs, serverRoot } from './preflight.js';

const body = (values: unknown[]): unknown => ({ choices: [{ logprobs: { token_logprobs: values } }] });

describe('checkPromptLogprobs (chance-level canary)', () => {
  it('accepts a logprob per prompt token after the first, plus the generated one', () => {
    expect(() => checkPromptLogprobs(body([null, -1.2, -0.3, -2.0]), 3)).not.toThrow();
  });
  it('fires when only the generated token has a logprob, or prompt logprobs are null', () => {
    expect(() => checkPromptLogprobs(body([-0.5]), 3)).toThrow(/chance/);
    expect(() => checkPromptLogprobs(body([null, null, null, -0.5]), 3)).toThrow(
      /2 of the 3 logprobs after the first token are null/,
    );
    expect(() => checkPromptLogprobs({ choices: [{ logprobs: null }] })).toThrow(/no logprobs/);
  });
});

describe('serverRoot', () => {
  it('strips /v1 to reach the tokenizer endpoints, keeping path prefixes', () => {
    expect(serverRoot('http://h:8000/v1')).toBe('http://h:8000');
    expect(serverRoot('http://h/_/latency=5/v1/')).toBe('http://h/_/latency=5');
  });
});
