import { describe, expect, it } from 'vitest';
import { LMEVAL_CATALOG } from './catalog.generated.js';
import { checkConfig, checkTask } from './check-task.js';
import { task } from './task.test-support.js';

const catalog = new Map(LMEVAL_CATALOG.map((e) => [e.id, e]));

describe('checkTask', () => {
  it('checks the config against the published schema only once per field', () => {
    expect(checkConfig({ num_fewshot: 101 })).toEqual([
      { pointer: '/num_fewshot', message: 'Must be <= 100.' },
    ]);
    expect(checkConfig({ num_fewshot: 100, batch_size: 1024, limit: 0.5 })).toEqual([]);
  });

  it('refuses a dataset revision where it cannot apply', () => {
    const ctx = { catalog, customTasks: [], knowsPython: true };
    expect(checkTask(task('mmlu', { dataset_revision: 'v1' }), ctx).issues).toEqual([
      { pointer: '/dataset_revision', message: expect.stringContaining('group') },
    ]);
    expect(
      checkTask(task('arc_easy', { dataset_revision: 'v1', dataset_path: 'a.jsonl' }), ctx).issues,
    ).toContainEqual({
      pointer: '/dataset_revision',
      message: expect.stringContaining('dataset_path'),
    });
    expect(
      checkTask(task('arc_easy', { dataset_revision: 'v1' }), { ...ctx, knowsPython: false }).issues,
    ).toEqual([{ pointer: '/dataset_revision', message: expect.stringContaining('`python` option') }]);
    expect(checkTask(task('arc_easy', { dataset_revision: 'v1' }), ctx)).toMatchObject({
      issues: [],
      settings: { dataset_revision: 'v1' },
    });
  });
});
