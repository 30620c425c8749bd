import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectInputs, referencedPaths } from './inputs.js';

describe('collectInputs', () => {
  it('sends the cwd tree and the data files it mentions, not folders or executables', async () => {
    const root = await mkdtemp(join(tmpdir(), 'inputs-'));
    const data = join(root, 'data');
    const cwd = join(root, 'work');
    await mkdir(join(cwd, 'tasks'), { recursive: true });
    await mkdir(join(data, 'bin'), { recursive: true });
    await writeFile(join(data, 'arc.jsonl'), '{"q":1}\n');
    await writeFile(join(data, 'bin', 'python'), '#!/bin/sh\n');
    await chmod(join(data, 'bin', 'python'), 0o755);
    await writeFile(
      join(cwd, 'tasks', 't.yaml'),
      `dataset_kwargs: { data_files: ${join(data, 'arc.jsonl')} }\n`,
    );
    const files = await collectInputs(
      { args: [join(data, 'bin', 'python'), '--tasks', join(cwd, 'tasks'), '--x', data], cwd, env: {} },
      [data, cwd],
    );
    expect(files.map((f) => f.path).sort()).toEqual(
      [join(data, 'arc.jsonl'), join(cwd, 'tasks', 't.yaml')].sort(),
    );
  });

  it('finds absolute paths under the roots', () => {
    expect(referencedPaths('a=/d/x.jsonl,"/d/y z" /e/q', ['/d'])).toEqual(['/d/x.jsonl', '/d/y']);
  });
});
