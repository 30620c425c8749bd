import { describe, expect, it } from 'vitest';
import { parseProgressLine } from './progress.js';

describe('parseProgressLine', () => {
  it('reads the request bars lm-eval prints', () => {
    expect(parseProgressLine('Requesting API:  55%|█████▍    | 57/104 [00:00<00:00, 567.38it/s]')).toEqual({
      fraction: 57 / 104,
      completed: 57,
      total: 104,
      message: 'Requesting API',
    });
    expect(
      parseProgressLine('Running loglikelihood requests: 100%|██████████| 80/80 [00:03<00:00]')?.fraction,
    ).toBe(1);
  });
  it('ignores other bars and log lines', () => {
    expect(
      parseProgressLine('Tokenizing inputs:  44%|████▍     | 46/104 [00:00<00:00, 456.47it/s]'),
    ).toBeUndefined();
    expect(parseProgressLine('  0%|          | 0/26 [00:00<?, ?it/s]')).toBeUndefined();
    expect(
      parseProgressLine('2026-11-27:00:57:56 INFO     [evaluator:589] Running loglikelihood requests'),
    ).toBeUndefined();
  });
});
