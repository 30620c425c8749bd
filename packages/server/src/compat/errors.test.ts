import { ValidationError } from '@evalhub/core';
import { describe, expect, it } from 'vitest';
import { rewriteForJob, toJobPointer } from './errors.js';

describe('toJobPointer', () => {
  it('points our request fields back at the eval-hub job fields', () => {
    expect(toJobPointer('/model/configuration/temperature')).toBe('/model/parameters/temperature');
    expect(toJobPointer('/benchmarks/2/config/limit')).toBe('/benchmarks/2/parameters/limit');
    expect(toJobPointer('/benchmarks/0/benchmark_id')).toBe('/benchmarks/0/id');
    expect(toJobPointer('/benchmarks/0/provider_id')).toBe('/benchmarks/0/provider_id');
    expect(toJobPointer('/collection_id')).toBe('/collection/id');
    expect(toJobPointer('/experiment/tags/bad key')).toBe('/experiment/tags');
  });

  it('rewrites a ValidationError and leaves other errors alone', () => {
    const err = new ValidationError('bad', [{ pointer: '/benchmarks/0/benchmark_id', message: 'x' }]);
    const out = rewriteForJob(err) as ValidationError;
    expect(out.details[0]!.pointer).toBe('/benchmarks/0/id');
    expect(out.code).toBe(err.code);
    const other = new Error('boom');
    expect(rewriteForJob(other)).toBe(other);
  });
});
