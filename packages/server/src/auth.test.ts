import { describe, expect, it } from 'vitest';
import { ApiKeyAuth } from './auth.js';

describe('ApiKeyAuth', () => {
  it('is off without keys', () => {
    expect(new ApiKeyAuth([]).enabled).toBe(false);
    expect(new ApiKeyAuth(['']).enabled).toBe(false);
  });

  it('accepts any configured key and nothing else', () => {
    const auth = new ApiKeyAuth(['k1', 'a-much-longer-second-key']);
    expect(auth.check('k1')).toBe(true);
    expect(auth.check('a-much-longer-second-key')).toBe(true);
    expect(auth.check('k2')).toBe(false);
    expect(auth.check('k1 ')).toBe(false);
    expect(auth.check(undefined)).toBe(false);
  });

  it('reads Bearer tokens and X-API-Key', () => {
    expect(ApiKeyAuth.presented({ authorization: 'Bearer abc' })).toBe('abc');
    expect(ApiKeyAuth.presented({ authorization: 'bearer  abc ' })).toBe('abc');
    expect(ApiKeyAuth.presented({ 'x-api-key': 'xyz' })).toBe('xyz');
    expect(ApiKeyAuth.presented({ authorization: 'Basic abc' })).toBeUndefined();
    expect(ApiKeyAuth.presented({})).toBeUndefined();
  });
});
