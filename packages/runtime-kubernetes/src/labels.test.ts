import { describe, expect, it } from 'vitest';
import { jobName, labelsFromLogFile, labelsOf, attemptLabels } from './labels.js';

describe('labels', () => {
  it('names Jobs within 63 characters, stable per attempt', () => {
    const l = { evaluationId: '0b4f2a4e-8f0e-4d7a-9a55-4b3b1c2d3e4f', benchmarkIndex: 12, attempt: 3 };
    expect(jobName(l)).toBe('eh-0b4f2a4e-8f0e-4d7a-9a55-4b3b1c2d3e4f-12-3');
    expect(jobName({ ...l, evaluationId: 'X'.repeat(80) }).length).toBeLessThanOrEqual(63);
    expect(jobName({ ...l, evaluationId: 'X'.repeat(80) })).toMatch(/^eh-x+-12-3$/);
  });

  it('reads back what it wrote', () => {
    const l = { evaluationId: 'e1', benchmarkIndex: 0, attempt: 2 };
    expect(labelsOf(attemptLabels('hub', l))).toEqual(l);
    expect(labelsOf({ 'evalhub.io/evaluation-id': 'e1' })).toBeUndefined();
  });

  it("falls back to core's log file layout", () => {
    expect(labelsFromLogFile('/d/evaluations/abc/logs/4-arc_easy.log')).toEqual({
      evaluationId: 'abc',
      benchmarkIndex: 4,
      attempt: 1,
      benchmarkId: 'arc_easy',
    });
    expect(labelsFromLogFile('/tmp/x.log')).toBeUndefined();
  });
});
