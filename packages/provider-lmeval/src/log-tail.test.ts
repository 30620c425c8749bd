import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { logTail, pythonError } from './log-tail.js';

describe('pythonError', () => {
  it('picks the exception line of a traceback for the failure message', () => {
    const log = [
      'Traceback (most recent call last):',
      '  File "x.py", line 1, in <module>',
      'RuntimeError: RemoteTokenizer: GET http://h/tokenizer_info failed after 3 attempts',
      'some trailing line',
    ].join('\n');
    expect(pythonError(log)).toBe(
      'RuntimeError: RemoteTokenizer: GET http://h/tokenizer_info failed after 3 attempts',
    );
    expect(pythonError('datasets.exceptions.DatasetNotFoundError: no such file')).toMatch(
      /^datasets\.exceptions/,
    );
    expect(pythonError('INFO all fine')).toBeUndefined();
  });
});

describe('logTail', () => {
  it('keeps the last lines of the log without blank lines and progress bars', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lmeval-log-'));
    try {
      const file = join(dir, 'run.log');
      const lines = Array.from({ length: 40 }, (_, i) => `line ${i}`);
      await writeFile(file, [...lines, '', ' 50%|#####     | 5/10', '   ', 'Error: it broke'].join('\n'));
      expect(await logTail(file)).toBe([...lines.slice(-29), 'Error: it broke'].join('\n'));
      expect(await logTail(join(dir, 'missing.log'))).toBe('');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
