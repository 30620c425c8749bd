import { describe, expect, it } from 'vitest';
import { closestNames, editDistance } from './close-names.js';

describe('closestNames', () => {
  it('suggests the nearest task names', () => {
    expect(editDistance('arc_easy', 'arc_eassy')).toBe(1);
    expect(closestNames('arc_eazy', ['arc_easy', 'arc_challenge', 'gsm8k'])).toEqual(['arc_easy']);
    expect(closestNames('arc', ['arc_easy', 'arc_challenge', 'gsm8k'])).toEqual([
      'arc_challenge',
      'arc_easy',
    ]);
    expect(closestNames('zzzzzz', ['arc_easy', 'gsm8k'])).toEqual([]);
  });
});
