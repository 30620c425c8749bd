import type { Progress } from '@evalhub/core';

/**
 * Parses one of lm-eval's tqdm progress lines, e.g.
 * `Running loglikelihood requests:  45%|████▌     | 36/80 [00:01<00:02, 20.1it/s]` or
 * `Requesting API: 100%|██████████| 80/80 [00:03<00:00, 25.3it/s]`.
 * Only the request phases are reported (building contexts is quick and would make the bar jump back).
 */
export function parseProgressLine(line: string): Progress | undefined {
  const match = /^\s*([^:|]*?)\s*:?\s*(\d{1,3})%\|[^|]*\|\s*(\d+)\/(\d+)\b/.exec(line);
  if (!match) return undefined;
  const label = (match[1] ?? '').trim();
  if (!/request|api/i.test(label)) return undefined;
  const completed = Number(match[3]);
  const total = Number(match[4]);
  if (!Number.isFinite(completed) || !Number.isFinite(total) || total <= 0) return undefined;
  return {
    fraction: Math.min(1, completed / total),
    completed,
    total,
    message: label.length > 0 ? label : 'Running requests',
  };
}
