import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// `evalhub datasets pull` through the real CLI, the lm-eval provider's Python helper and real
// lm-eval/datasets. There is no Hugging Face hub here, so the cache is pre-populated the way `datasets`
// writes a downloaded hub dataset, and the helper runs offline: it finds what is cached and reports,
// per task, what it could not get.
const root = join(import.meta.dirname, '..', '..', '..');
const cli = join(root, 'packages', 'server', 'src', 'cli.ts');
const lmevalTest = join(root, 'packages', 'provider-lmeval', 'test');

function exec(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let python: string;
let dir: string;
beforeAll(async () => {
  python = await new Promise<string>((resolve, reject) =>
    execFile('bash', [join(root, 'tools', 'python', 'setup-env.sh')], { maxBuffer: 16 << 20 }, (err, out) => {
      const path = String(out).trim().split('\n').pop()?.trim();
      if (err || !path || !existsSync(path)) reject(new Error(`setup-env.sh failed: ${err?.message ?? ''}`));
      else resolve(path);
    }),
  );
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
        '--conditions=@evalhub/source',
        '--import',
        'tsx',
        cli,
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
    const bad = await exec(
      process.execPath,
      ['--conditions=@evalhub/source', '--import', 'tsx', cli, 'datasets', 'pull', '--', '-x'],
      {
        PATH: process.env.PATH,
        HOME: dir,
      },
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("'-x' is not an lm-eval task name");
    const none = await exec(
      process.execPath,
      ['--conditions=@evalhub/source', '--import', 'tsx', cli, 'datasets'],
      {
        PATH: process.env.PATH,
        HOME: dir,
      },
    );
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage: evalhub datasets pull');
  });
});
