import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CORE_ERROR_CODES } from '@evalhub/core';
import { SERVER_ERROR_CODES } from '@evalhub/server';
import { describe, expect, it } from 'vitest';
import { collectErrorCodes } from './collect.js';
import { errorsDoc } from './errors-doc.js';
import { renderErrorSections } from './render.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../../..');

describe('the error-code tables of the repo', () => {
  it('declare each code once, with a meaning, a fix, and a status exactly on request codes', async () => {
    const codes = await collectErrorCodes(repoRoot);
    expect(new Set(codes.map((c) => c.code)).size).toBe(codes.length);
    for (const c of codes) {
      expect(c.meaning.trim(), c.code).not.toBe('');
      expect(c.fix.trim(), c.code).not.toBe('');
      expect(c.status !== undefined, c.code).toBe(c.kind === 'request');
    }
    const owners = new Set(codes.map((c) => c.owner));
    for (const o of [
      '@evalhub/core',
      '@evalhub/server',
      '@evalhub/tracker-mlflow',
      '@evalhub/provider-lmeval',
    ])
      expect(owners).toContain(o);
    // no code of one table is in another
    const tables = [CORE_ERROR_CODES, SERVER_ERROR_CODES].map((t) => Object.keys(t));
    expect(tables[0]!.filter((c) => tables[1]!.includes(c))).toEqual([]);
  });
});

/** Non-test TypeScript sources of the packages and examples. */
async function sources(): Promise<string[]> {
  const out: string[] = [];
  for (const top of ['packages', 'examples']) {
    for (const pkg of await readdir(join(repoRoot, top))) {
      const entries = await readdir(join(repoRoot, top, pkg, 'src'), { recursive: true }).catch(() => []);
      for (const f of entries)
        if (f.endsWith('.ts') && !f.endsWith('.test.ts')) out.push(join(repoRoot, top, pkg, 'src', f));
    }
  }
  return out;
}

describe('codes in the sources', () => {
  it('are all declared in a table, also where the type checker does not see them (`code: …` fields)', async () => {
    const declared = new Set((await collectErrorCodes(repoRoot)).map((c) => c.code));
    // eval-hub's job-state message code in the compatible job view, not an error of ours
    // …and `typeof x.code === 'string'`
    const notErrors = new Set(['evaluation_job_failed', 'string', 'number']);
    const undeclared: string[] = [];
    for (const file of await sources()) {
      const text = await readFile(file, 'utf8');
      for (const m of text.matchAll(/\bcode(?:: | === )'([a-z][a-z0-9_]*)'/g))
        if (!declared.has(m[1]!) && !notErrors.has(m[1]!)) undeclared.push(`${file}: ${m[1]}`);
    }
    expect(undeclared).toEqual([]);
  });
});

describe('docs/errors.md', () => {
  it('is in sync with the tables (npm run generate)', async () => {
    const current = await readFile(join(repoRoot, 'docs/errors.md'), 'utf8');
    expect(await errorsDoc(repoRoot, current)).toBe(current);
  });

  it('lists request codes by status with each status of a multi-status code', () => {
    const text = renderErrorSections([
      { code: 'b_code', owner: '@evalhub/x', kind: 'request', status: 409, meaning: 'm', fix: 'f' },
      {
        code: 'a_code',
        owner: '@evalhub/core',
        kind: 'request',
        status: [404, 400],
        meaning: 'm|n',
        fix: 'f',
      },
      { code: 'c_code', owner: '@evalhub/core', kind: 'benchmark', meaning: 'm', fix: 'f' },
    ]);
    expect(text.indexOf('`a_code`')).toBeLessThan(text.indexOf('`b_code`'));
    expect(text).toContain('| 404, 400 | `a_code` | m\\|n | f | core |');
    expect(text).toContain('## Benchmark errors');
    expect(text).not.toContain('## Start-up errors');
  });
});
