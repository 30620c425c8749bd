import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from './dataset.js';

let root: string;
let outside: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ragas-data-'));
  outside = await mkdtemp(join(tmpdir(), 'ragas-outside-'));
  await mkdir(join(root, 'sub'));
  const row = { user_input: 'q', response: 'a', retrieved_contexts: ['c'], reference: 'r' };
  await writeFile(
    join(root, 'good.jsonl'),
    `${JSON.stringify(row)}\n\n${JSON.stringify({ ...row, user_input: 'q2' })}\n`,
  );
  await writeFile(join(root, 'list.json'), JSON.stringify([row, row, row]));
  await writeFile(
    join(root, 'legacy.jsonl'),
    JSON.stringify({ question: 'q', answer: 'a', contexts: ['c'], ground_truth: 'r' }) + '\n',
  );
  await writeFile(
    join(root, 'custom.jsonl'),
    JSON.stringify({ prompt: 'q', output: 'a', docs: 'one context', gold: 'r' }) + '\n',
  );
  await writeFile(join(root, 'empty.jsonl'), '\n  \n');
  await writeFile(
    join(root, 'broken.jsonl'),
    `${JSON.stringify(row)}\n${JSON.stringify(row)}\n{"user_input": "q",\n`,
  );
  await writeFile(
    join(root, 'no-ref.jsonl'),
    `${JSON.stringify(row)}\n${JSON.stringify({ ...row, reference: '' })}\n`,
  );
  await writeFile(
    join(root, 'bad-types.jsonl'),
    `${JSON.stringify({ ...row, retrieved_contexts: [1, 2] })}\n[1]\n`,
  );
  await writeFile(join(outside, 'secret.jsonl'), JSON.stringify(row) + '\n');
  await symlink(join(outside, 'secret.jsonl'), join(root, 'link.jsonl'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

const load = (datasetPath: string, extra: Partial<Parameters<typeof loadDataset>[0]> = {}) =>
  loadDataset({
    dataRoot: root,
    datasetPath,
    requiredColumns: ['user_input', 'response', 'retrieved_contexts'],
    ...extra,
  });

describe('loadDataset', () => {
  it('reads JSONL, skipping blank lines', async () => {
    const { dataset, issues } = await load('./good.jsonl');
    expect(issues).toEqual([]);
    expect(dataset?.rows.map((r) => r.user_input)).toEqual(['q', 'q2']);
    expect(dataset?.totalRows).toBe(2);
  });

  it('reads a JSON list and applies limit', async () => {
    const { dataset } = await load('list.json', { limit: 2 });
    expect(dataset?.rows).toHaveLength(2);
    expect(dataset?.totalRows).toBe(3);
  });

  it('maps legacy column names', async () => {
    const { dataset } = await load('legacy.jsonl', {
      requiredColumns: ['user_input', 'response', 'retrieved_contexts', 'reference'],
    });
    expect(dataset?.rows[0]).toEqual({
      user_input: 'q',
      response: 'a',
      reference: 'r',
      retrieved_contexts: ['c'],
    });
  });

  it('applies column_map and wraps a single context string in a list', async () => {
    const { dataset, issues } = await load('custom.jsonl', {
      columnMap: { user_input: 'prompt', response: 'output', retrieved_contexts: 'docs', reference: 'gold' },
      requiredColumns: ['user_input', 'response', 'retrieved_contexts', 'reference'],
    });
    expect(issues).toEqual([]);
    expect(dataset?.rows[0]).toEqual({
      user_input: 'q',
      response: 'a',
      retrieved_contexts: ['one context'],
      reference: 'r',
    });
  });

  it('names a missing column and the lines lacking it', async () => {
    const { dataset, issues } = await load('no-ref.jsonl', { requiredColumns: ['reference', 'response'] });
    expect(dataset).toBeUndefined();
    expect(issues).toHaveLength(1);
    expect(issues[0]!.message).toMatch(/lacks column 'reference' in line 2/);
  });

  it('points a column missing after mapping at the column_map entry', async () => {
    const { issues } = await load('custom.jsonl', {
      columnMap: { user_input: 'nope' },
      requiredColumns: ['user_input'],
    });
    expect(issues[0]!.pointer).toBe('/column_map/user_input');
    expect(issues[0]!.message).toMatch(/mapped from 'nope'/);
  });

  it('reports an empty file', async () => {
    const { issues } = await load('empty.jsonl');
    expect(issues[0]!.message).toMatch(/is empty/);
  });

  it('reports a malformed line with its number', async () => {
    const { issues } = await load('broken.jsonl');
    expect(issues[0]!.message).toMatch(/line 3 is not valid JSON/);
  });

  it('reports wrongly typed values and non-object rows', async () => {
    const { issues } = await load('bad-types.jsonl');
    expect(issues[0]!.message).toMatch(/line 1: retrieved_contexts must be a list of strings/);
    expect(issues[0]!.message).toMatch(/line 2: not a JSON object/);
  });

  it('reports a missing file', async () => {
    const { issues } = await load('nope.jsonl');
    expect(issues[0]).toEqual({
      pointer: '/dataset_path',
      message: "dataset 'nope.jsonl' does not exist under the data root",
    });
  });

  it('refuses paths outside the data root', async () => {
    for (const p of ['../etc/passwd', join(outside, 'secret.jsonl'), 'sub/../../x.jsonl']) {
      const { issues } = await load(p);
      expect(issues[0]!.message).toMatch(/outside the data root/);
    }
  });

  it('refuses a symbolic link leading outside the data root', async () => {
    const { issues } = await load('link.jsonl');
    expect(issues[0]!.message).toMatch(/resolves outside the data root/);
  });

  it('reports a folder', async () => {
    const { issues } = await load('sub');
    expect(issues[0]!.message).toMatch(/is not a file/);
  });
});
