import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DATASETS_HELPER_PATH, parsePullEvent, pullDatasetsCommand } from './datasets-pull.js';

describe('datasets pull command', () => {
  it('runs the shipped helper with the task names and the revision', () => {
    expect(existsSync(DATASETS_HELPER_PATH)).toBe(true);
    expect(
      pullDatasetsCommand({ python: '/venv/bin/python', tasks: ['arc_easy', 'gsm8k'], revision: 'v1' }),
    ).toEqual({
      command: '/venv/bin/python',
      args: [DATASETS_HELPER_PATH, 'pull', 'arc_easy', 'gsm8k', '--revision', 'v1'],
    });
  });
  it('refuses what is not a task name or a revision', () => {
    expect(() => pullDatasetsCommand({ python: 'p', tasks: [] })).toThrow(/at least one/);
    expect(() => pullDatasetsCommand({ python: 'p', tasks: ['--evil'] })).toThrow(/not an lm-eval task/);
    expect(() => pullDatasetsCommand({ python: 'p', tasks: ['a'], revision: '-x' })).toThrow(
      /not a revision/,
    );
  });
  it("reads the helper's JSON lines and ignores anything else", () => {
    expect(parsePullEvent('{"event": "done", "cache": "/c", "pulled": 1, "failed": 0}')).toEqual({
      event: 'done',
      cache: '/c',
      pulled: 1,
      failed: 0,
    });
    expect(parsePullEvent('Generating test split: 100%')).toBeUndefined();
    expect(parsePullEvent('{"other": 1}')).toBeUndefined();
  });
});
