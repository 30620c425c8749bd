import { describe, expect, it } from 'vitest';
import { parseRunnerEvent, parseRunnerResult } from './contract.js';
import { rowsToCsv, rowsToJsonl } from './results.js';

describe('parseRunnerEvent', () => {
  it('parses the contract events as the runner prints them', () => {
    expect(parseRunnerEvent('{"event": "progress", "completed": 3, "total": 12}')).toEqual({
      event: 'progress',
      completed: 3,
      total: 12,
    });
    expect(parseRunnerEvent('{"event": "error", "kind": "metric", "message": "boom"}')).toEqual({
      event: 'error',
      kind: 'metric',
      message: 'boom',
    });
    expect(parseRunnerEvent('{"event": "done", "output": "/w/r.json"}')).toEqual({
      event: 'done',
      output: '/w/r.json',
    });
  });

  it('ignores anything else', () => {
    for (const line of [
      'Evaluating: 50%',
      '{"event": "progress", "completed": -1, "total": 2}',
      '{"event": "progress"',
      '{"other": 1}',
      '{"event": "nope"}',
    ]) {
      expect(parseRunnerEvent(line)).toBeUndefined();
    }
  });
});

const good = {
  version: 1,
  ragas_version: '0.4.3',
  samples: 2,
  duration_seconds: 1.5,
  metrics: { faithfulness: { mean: 0.5, count: 1, nan_count: 1, error_count: 1, min: 0.5, max: 0.5 } },
  rows: [
    { index: 0, scores: { faithfulness: 0.5 } },
    { index: 1, scores: { faithfulness: null }, errors: { faithfulness: 'ValueError: "bad", json' } },
  ],
};

describe('parseRunnerResult', () => {
  it('accepts a well-formed result', () => {
    expect(parseRunnerResult(good, ['faithfulness']).metrics.faithfulness!.nan_count).toBe(1);
  });

  it('rejects missing metrics, bad versions and non-numeric scores', () => {
    expect(() => parseRunnerResult(good, ['exact_match'])).toThrow(/metric 'exact_match' is missing/);
    expect(() => parseRunnerResult({ ...good, version: 2 }, ['faithfulness'])).toThrow(/version 2/);
    expect(() =>
      parseRunnerResult({ ...good, rows: [{ index: 0, scores: { faithfulness: 'x' } }] }, ['faithfulness']),
    ).toThrow(/non-numeric/);
  });
});

describe('per-row artifacts', () => {
  const rows = [{ user_input: 'first, question' }, { user_input: 'second' }];
  it('writes JSONL with nulls for NaN and the errors', () => {
    const lines = rowsToJsonl(rows, parseRunnerResult(good, ['faithfulness']), ['faithfulness'])
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([
      { index: 0, user_input: 'first, question', faithfulness: 0.5 },
      {
        index: 1,
        user_input: 'second',
        faithfulness: null,
        errors: { faithfulness: 'ValueError: "bad", json' },
      },
    ]);
  });

  it('writes CSV with quoting', () => {
    expect(rowsToCsv(rows, parseRunnerResult(good, ['faithfulness']), ['faithfulness'])).toBe(
      'index,user_input,faithfulness,errors\n0,"first, question",0.5,\n1,second,,"faithfulness: ValueError: ""bad"", json"\n',
    );
  });
});
