import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tailFile } from './tail-file.js';

describe('tailFile', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tail-file-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('returns the last non-empty lines, whatever the line ends', async () => {
    const file = join(dir, 'a.log');
    await writeFile(file, 'one\r\ntwo\n\nthree\rfour\n');
    expect(await tailFile(file, 3)).toEqual(['two', 'three', 'four']);
    expect(await tailFile(file, 10)).toEqual(['one', 'two', 'three', 'four']);
  });

  it('keeps only the lines the filter accepts, before counting', async () => {
    const file = join(dir, 'b.log');
    await writeFile(file, 'a\n 10%|#\nb\n 50%|##\n');
    expect(await tailFile(file, 2, (l) => !/%\|/.test(l))).toEqual(['a', 'b']);
  });

  it('reads only the end of a large file, leaving out the line cut at the start of what it read', async () => {
    const file = join(dir, 'c.log');
    const lines = Array.from({ length: 1000 }, (_, i) => `${i} `.padEnd(1000, 'x'));
    await writeFile(file, lines.join('\n'));
    expect(await tailFile(file, 5)).toEqual(lines.slice(-5));
    const tail = await tailFile(file, 100); // more than the 64 KiB it reads hold
    expect(tail.length).toBeLessThan(100);
    expect(tail).toEqual(lines.slice(-tail.length));
  });

  it('returns no lines for a missing file', async () => {
    expect(await tailFile(join(dir, 'missing.log'), 5)).toEqual([]);
  });
});
