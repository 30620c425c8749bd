import { describe, expect, it } from 'vitest';
import { usageOf } from './http-messages.js';

describe('usageOf', () => {
  it('reads prompt and completion tokens from an answer, and nothing from anything else', () => {
    expect(usageOf(Buffer.from('{"usage":{"prompt_tokens":7,"completion_tokens":2}}'))).toEqual({
      promptTokens: 7,
      completionTokens: 2,
    });
    expect(usageOf(Buffer.from('{"choices":[]}'))).toEqual({
      promptTokens: undefined,
      completionTokens: undefined,
    });
    expect(usageOf(Buffer.from('not json'))).toEqual({});
  });
});
