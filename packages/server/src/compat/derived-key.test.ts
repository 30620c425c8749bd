import { describe, expect, it } from 'vitest';
import { canonicalJson, DerivedKeys } from './derived-key.js';

describe('DerivedKeys', () => {
  it('gives a retry of the same body the same key within the window, a new one after it', () => {
    let t = 1_000_000;
    const keys = new DerivedKeys(60_000, () => t);
    const first = keys.keyFor({ name: 'a', model: { url: 'u', name: 'm' } }, 'alice');
    t += 59_000;
    // Key order does not matter; the window boundary (t crossed a 60 s slot) does not either.
    expect(keys.keyFor({ model: { name: 'm', url: 'u' }, name: 'a' }, 'alice')).toBe(first);
    expect(keys.keyFor({ name: 'a', model: { url: 'u', name: 'm' } }, 'bob')).not.toBe(first);
    expect(keys.keyFor({ name: 'b', model: { url: 'u', name: 'm' } }, 'alice')).not.toBe(first);
    t += 2_000;
    expect(keys.keyFor({ name: 'a', model: { url: 'u', name: 'm' } }, 'alice')).not.toBe(first);
  });

  it('canonicalises JSON with sorted keys', () => {
    expect(canonicalJson({ b: [1, { d: 2, c: 1 }], a: null })).toBe('{"a":null,"b":[1,{"c":1,"d":2}]}');
  });
});
