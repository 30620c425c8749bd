import { describe, expect, it } from 'vitest';
import { closeMatches, editDistance } from './suggest.js';

describe('closeMatches', () => {
  it('suggests the nearest task names', () => {
    expect(editDistance('arc_easy', 'arc_eassy')).toBe(1);
    expect(closeMatches('arc_eazy', ['arc_easy', 'arc_challenge', 'gsm8k'])).toEqual(['arc_easy']);
    expect(closeMatches('arc', ['arc_easy', 'arc_challenge', 'gsm8k'])).toEqual([
      'arc_challenge',
      'arc_easy',
    ]);
    expect(closeMatches('zzzzzz', ['arc_easy', 'gsm8k'])).toEqual([]);
  });
});
