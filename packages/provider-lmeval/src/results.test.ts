import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { metricName } from './metric-name.js';
import { findNewestResultsFile, findSamplesFiles, parseResults, type LmEvalResultsFile } from './results.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures');
const load = async (name: string): Promise<LmEvalResultsFile> =>
  JSON.parse(await readFile(join(fixtures, name), 'utf8')) as LmEvalResultsFile;

describe('metricName', () => {
  it('drops the none filter and appends any other filter', () => {
    expect(metricName('acc,none')).toBe('acc');
    expect(metricName('acc_stderr,none')).toBe('acc_stderr');
    expect(metricName('acc_norm,none')).toBe('acc_norm');
    expect(metricName('exact_match,strict-match')).toBe('exact_match_strict-match');
    expect(metricName('exact_match_stderr,flexible-extract')).toBe('exact_match_stderr_flexible-extract');
    expect(metricName('perplexity')).toBe('perplexity');
  });
  it('ignores the non-metric keys of a task block', () => {
    expect(metricName('alias')).toBeUndefined();
    expect(metricName('name')).toBeUndefined();
    expect(metricName('sample_len')).toBeUndefined();
  });
});

describe('parseResults (real lm-eval 0.4.13 output)', () => {
  it('reads a multiple-choice run: acc, acc_norm, stderr, samples, version, n-shot', async () => {
    const file = await load('results-arc-local.json');
    const block = file.results?.evalhub_local_arc_easy as Record<string, number>;
    const parsed = parseResults(file, 'evalhub_local_arc_easy');
    expect(parsed.metrics).toEqual({
      acc: block['acc,none'],
      acc_stderr: block['acc_stderr,none'],
      acc_norm: block['acc_norm,none'],
      acc_norm_stderr: block['acc_norm_stderr,none'],
    });
    expect(parsed.samples).toBe(26);
    expect(parsed.params).toMatchObject({
      task_version: 1,
      num_fewshot: 0,
      lm_eval_version: '0.4.13',
      samples_original: 26,
    });
    expect(parsed.leafTasks).toEqual(['evalhub_local_arc_easy']);
  });

  it('reads a generation run with two filters', async () => {
    const parsed = parseResults(await load('results-gsm8k-local.json'), 'evalhub_local_gsm8k');
    expect(Object.keys(parsed.metrics).sort()).toEqual([
      'exact_match_flexible-extract',
      'exact_match_stderr_flexible-extract',
      'exact_match_stderr_strict-match',
      'exact_match_strict-match',
    ]);
    expect(parsed.params.task_version).toBe(3);
  });

  it('drops N/A stderr values and sums samples over a group', () => {
    const parsed = parseResults(
      {
        results: {
          g: { 'acc,none': 0.5, 'acc_stderr,none': 'N/A', alias: 'g' },
          a: { 'acc,none': 0.4 },
          b: { 'acc,none': 0.6 },
        },
        group_subtasks: { g: ['a', 'b'] },
        'n-samples': { a: { original: 10, effective: 5 }, b: { original: 20, effective: 5 } },
        versions: { g: 2 },
      },
      'g',
    );
    expect(parsed.metrics).toEqual({ acc: 0.5 });
    expect(parsed.samples).toBe(10);
    expect(parsed.params).toMatchObject({ task_version: 2, subtasks: 2, samples_original: 30 });
  });

  it('names the tasks present when the task is missing', () => {
    expect(() => parseResults({ results: { other: {} } }, 'arc_easy')).toThrow(/other/);
  });
});

describe('finding output files', () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('finds the newest results file recursively and the samples files by task', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lmeval-results-'));
    dirs.push(dir);
    await mkdir(join(dir, 'm__x'), { recursive: true });
    const older = join(dir, 'm__x', 'results_2026-01-01T00-00-00.000001.json');
    const newer = join(dir, 'm__x', 'results_2026-01-02T00-00-00.000001.json');
    await writeFile(older, '{}');
    await writeFile(newer, '{}');
    await utimes(older, new Date(1_000_000), new Date(1_000_000));
    await writeFile(join(dir, 'm__x', 'samples_my_task_2026-01-02T00-00-00.000001.jsonl'), '');
    await writeFile(join(dir, 'm__x', 'samples_other_2026-01-02T00-00-00.000001.jsonl'), '');
    expect(await findNewestResultsFile(dir)).toBe(newer);
    expect(await findNewestResultsFile(join(dir, 'missing'))).toBeUndefined();
    expect([...(await findSamplesFiles(dir, ['my_task'])).keys()]).toEqual(['my_task']);
  });
});
