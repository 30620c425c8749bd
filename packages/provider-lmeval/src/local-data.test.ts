import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LMEVAL_CATALOG } from './catalog.generated.js';
import { buildLocalTaskConfig, localTaskName, resolveDatasetPath, scanTaskNames } from './local-data.js';

let top: string;
let root: string;

beforeAll(async () => {
  top = realpathSync(await mkdtemp(join(tmpdir(), 'lmeval-data-')));
  root = join(top, 'root');
  await mkdir(join(root, 'sub'), { recursive: true });
  await writeFile(join(root, 'sub', 'arc.jsonl'), '{}\n');
  await writeFile(join(root, 'notes.txt'), 'x');
  await writeFile(join(top, 'secret.jsonl'), '{}\n');
  await symlink(join(top, 'secret.jsonl'), join(root, 'escape.jsonl'));
  await symlink(join(root, 'sub', 'arc.jsonl'), join(root, 'inside-link.jsonl'));
});
afterAll(async () => rm(top, { recursive: true, force: true }));

describe('resolveDatasetPath', () => {
  it('accepts relative and absolute paths inside the root, following symlinks', () => {
    expect(resolveDatasetPath(root, 'sub/arc.jsonl')).toEqual({
      ok: true,
      path: join(root, 'sub', 'arc.jsonl'),
    });
    expect(resolveDatasetPath(root, './sub/../sub/arc.jsonl')).toEqual({
      ok: true,
      path: join(root, 'sub', 'arc.jsonl'),
    });
    expect(resolveDatasetPath(root, join(root, 'sub', 'arc.jsonl')).ok).toBe(true);
    expect(resolveDatasetPath(root, 'inside-link.jsonl')).toEqual({
      ok: true,
      path: join(root, 'sub', 'arc.jsonl'),
    });
  });
  it('rejects traversal, absolute paths outside, symlinks out of the root, missing files and non-JSONL', () => {
    expect(resolveDatasetPath(root, '../secret.jsonl')).toMatchObject({
      ok: false,
      message: expect.stringMatching(/outside/),
    });
    expect(resolveDatasetPath(root, 'sub/../../secret.jsonl').ok).toBe(false);
    expect(resolveDatasetPath(root, join(top, 'secret.jsonl')).ok).toBe(false);
    expect(resolveDatasetPath(root, '/etc/passwd').ok).toBe(false);
    expect(resolveDatasetPath(root, 'escape.jsonl')).toMatchObject({
      ok: false,
      message: expect.stringMatching(/resolves outside/),
    });
    expect(resolveDatasetPath(root, 'missing.jsonl')).toMatchObject({
      ok: false,
      message: expect.stringMatching(/does not exist/),
    });
    expect(resolveDatasetPath(root, 'sub')).toMatchObject({
      ok: false,
      message: expect.stringMatching(/not a file/),
    });
    expect(resolveDatasetPath(root, 'notes.txt').ok).toBe(false);
    expect(resolveDatasetPath(root, '.').ok).toBe(false);
    expect(resolveDatasetPath(undefined, 'sub/arc.jsonl').ok).toBe(false);
  });
});

describe('buildLocalTaskConfig', () => {
  const arc = LMEVAL_CATALOG.find((e) => e.id === 'arc_easy');
  it("runs the catalog task's template over the file with the json builder", () => {
    if (!arc) throw new Error('arc_easy missing from the catalog');
    const config = buildLocalTaskConfig(arc, '/data/arc.jsonl');
    expect(config).toMatchObject({
      task: 'evalhub_local_arc_easy',
      dataset_path: 'json',
      dataset_kwargs: { data_files: { train: '/data/arc.jsonl' } },
      test_split: 'train',
      output_type: 'multiple_choice',
      doc_to_text: 'Question: {{question}}\nAnswer:',
      doc_to_choice: '{{choices.text}}',
    });
    expect(config.fewshot_split).toBeUndefined();
    expect(buildLocalTaskConfig(arc, '/data/arc.jsonl', { numFewshot: 3 }).fewshot_split).toBe('train');
  });
  it('refuses tasks that need Python preprocessing', () => {
    const hellaswag = LMEVAL_CATALOG.find((e) => e.id === 'hellaswag');
    expect(hellaswag?.local_template).toBeNull();
    if (hellaswag) expect(() => buildLocalTaskConfig(hellaswag, '/x.jsonl')).toThrow();
  });
  it('names generated tasks so they never clash with lm-eval tasks', () => {
    expect(localTaskName('arc_easy')).toBe('evalhub_local_arc_easy');
    expect(localTaskName('a.b:c')).toBe('evalhub_local_a_b_c');
  });
});

describe('scanTaskNames', () => {
  it('finds task and group names in YAML text', () => {
    expect(
      scanTaskNames(['task: my_task\ndataset_path: json\n', 'group: "my_group"  # comment\ntask:\n  - a\n']),
    ).toEqual(['my_group', 'my_task']);
  });
});
