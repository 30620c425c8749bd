import { describe, expect, it } from 'vitest';
import { requestResourceProblems } from './request-resources.js';

describe('requestResourceProblems', () => {
  const gpu = { requests: { cpu: '4', memory: '16Gi' }, limits: { 'nvidia.com/gpu': '1' } };

  it('refuses any resources unless the operator allows them', () => {
    expect(requestResourceProblems(gpu, {})).toEqual([expect.stringMatching(/allow_request_resources/)]);
    expect(requestResourceProblems(gpu, { allow_request_resources: false })).toHaveLength(1);
  });

  it('accepts what stays within max_resources, comparing quantities by value', () => {
    const max = { cpu: '4000m', memory: '16Gi', 'nvidia.com/gpu': '2' };
    expect(requestResourceProblems(gpu, { allow_request_resources: true, max_resources: max })).toEqual([]);
    // a resource without a maximum is not bounded
    expect(requestResourceProblems(gpu, { allow_request_resources: true })).toEqual([]);
  });

  it('names each quantity above its maximum and the bound', () => {
    const problems = requestResourceProblems(
      { requests: { memory: '17Gi' }, limits: { 'nvidia.com/gpu': '3' } },
      { allow_request_resources: true, max_resources: { memory: '16Gi', 'nvidia.com/gpu': '2' } },
    );
    expect(problems).toEqual([
      "requests.memory = 17Gi is above this hub's maximum of 16Gi: ask for at most 16Gi.",
      "limits.nvidia.com/gpu = 3 is above this hub's maximum of 2: ask for at most 2.",
    ]);
  });
});
