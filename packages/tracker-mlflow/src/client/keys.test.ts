import { describe, expect, it } from 'vitest';
import { MLFLOW_LIMITS, fitValue, isValidMlflowKey, sanitizeKey } from './keys.js';

describe('isValidMlflowKey', () => {
  it('accepts what MLflow accepts', () => {
    for (const k of ['acc', 'arc_easy.acc', 'a/b', 'a-b c', 'ünïcode', 'x'.repeat(250)])
      expect(isValidMlflowKey(k), k).toBe(true);
  });
  it('rejects what MLflow rejects', () => {
    for (const k of [
      '',
      '.',
      '..a',
      '/a',
      'a/',
      'a//b',
      './a',
      'a/./b',
      'a/../b',
      'acc,none',
      'a\\b',
      'x'.repeat(251),
    ]) {
      expect(isValidMlflowKey(k), k).toBe(false);
    }
  });
});

describe('sanitizeKey', () => {
  it('keeps valid keys unchanged', () => {
    expect(sanitizeKey('arc_easy.acc_stderr')).toBe('arc_easy.acc_stderr');
  });
  it('maps lm-eval keys deterministically', () => {
    expect(sanitizeKey('acc,none')).toBe('acc_none');
    expect(sanitizeKey('acc_stderr,none')).toBe('acc_stderr_none');
    expect(sanitizeKey('a:b')).toBe('a_b');
  });
  it('fixes path rules', () => {
    expect(sanitizeKey('/a//b/./c/')).toBe('a/b/c');
    expect(sanitizeKey('..hidden')).toBe('hidden');
    expect(sanitizeKey('a/../b')).toBe('a/__/b');
    expect(sanitizeKey('')).toBe('_');
    expect(sanitizeKey('///')).toBe('_');
  });
  it('caps long keys with a hash so distinct keys stay distinct', () => {
    const a = sanitizeKey(`${'k'.repeat(300)}a`);
    const b = sanitizeKey(`${'k'.repeat(300)}b`);
    expect(a.length).toBeLessThanOrEqual(MLFLOW_LIMITS.maxKeyLength);
    expect(a).not.toBe(b);
    expect(sanitizeKey(`${'k'.repeat(300)}a`)).toBe(a);
  });
  it('always yields a valid key', () => {
    const samples = ['a,b;c', '%%%', ' ', 'x/'.repeat(200), '..', '.', 'tab\there', '🙂', 'a/.b', 'é/../..'];
    for (const s of samples) expect(isValidMlflowKey(sanitizeKey(s)), JSON.stringify(s)).toBe(true);
  });
});

describe('fitValue', () => {
  it('leaves short values alone', () => {
    expect(fitValue('abc', 10)).toEqual({ value: 'abc', truncated: false, originalLength: 3 });
  });
  it('truncates with a marker inside the limit', () => {
    const v = 'x'.repeat(7000);
    const f = fitValue(v, 6000);
    expect(f.truncated).toBe(true);
    expect(f.value.length).toBeLessThanOrEqual(6000);
    expect(f.value.endsWith('…[truncated 7000 chars]')).toBe(true);
    expect(f.value.startsWith('xxxx')).toBe(true);
  });
  it('never splits a surrogate pair', () => {
    const v = '🙂'.repeat(100);
    const f = fitValue(v, 50);
    expect(f.value.length).toBeLessThanOrEqual(50);
    expect(() => encodeURIComponent(f.value)).not.toThrow();
  });
});
