import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolvePython } from '@evalhub/tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_NODE_ARGS, REPO_ROOT, runProcess as exec } from './support/processes.js';

// `evalhub datasets pull` through the real CLI, the lm-eval provider's Python helper and real
// lm-eval/datasets. There is no Hugging Face hub here, so the cache is pre-populated the way `datasets`
// writes a downloaded hub dataset, and the helper runs offline: it finds what is cached and reports,
// per task, what it could not get.
const lmevalTest = join(REPO_ROOT, 'packages', 'provider-lmeval', 'test');

let python: string;
let dir: string;
beforeAll(async () => {
  python = await resolvePython();
  dir = await mkdtemp(join(tmpdir(), 'evalhub-datasets-'));
  const made = await exec(
    python,
    [
      join(lmevalTest, 'support', 'make-hf-cache.py'),
      join(dir, 'hf', 'datasets'),
      'allenai/ai2_arc',
      'ARC-Easy',
      join(lmevalTest, 'data', 'arc-sample.jsonl'),
    ],
    { PATH: process.env.PATH, HOME: dir, HF_HUB_OFFLINE: '1', HF_DATASETS_OFFLINE: '1' },
  );
  expect(made.code, made.stderr).toBe(0);
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('evalhub datasets pull', () => {
  it('reports each task found in the cache and each it could not get, exit 1 when any failed', async () => {
    const result = await exec(
      process.execPath,
      [
        ...CLI_NODE_ARGS,
        'datasets',
        'pull',
        'arc_easy',
        'arc_challenge',
        '--python',
        python,
        '--hf-home',
        join(dir, 'hf'),
      ],
      {
        PATH: process.env.PATH,
        HOME: dir,
        HF_HUB_OFFLINE: '1',
        HF_DATASETS_OFFLINE: '1',
        EVALHUB_CONFIG: '',
      },
    );
    expect(result.stdout).toContain(
      'pulled arc_easy: allenai/ai2_arc ARC-Easy (train 26, validation 26, test 26)',
    );
    expect(result.stderr).toMatch(/failed arc_challenge: .*ARC-Challenge/);
    expect(result.stdout).toContain(`1 task(s) in the cache ${join(dir, 'hf', 'datasets')}; 1 failed`);
    expect(result.code).toBe(1);
  });

  it('refuses a bad task name or a missing subcommand with usage (exit 2)', async () => {
    const bad = await exec(process.execPath, [...CLI_NODE_ARGS, 'datasets', 'pull', '--', '-x'], {
      PATH: process.env.PATH,
      HOME: dir,
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("'-x' is not an lm-eval task name");
    const none = await exec(process.execPath, [...CLI_NODE_ARGS, 'datasets'], {
      PATH: process.env.PATH,
      HOME: dir,
    });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage: evalhub datasets pull');
  });
});
