/** The end of a benchmark log, for failure messages. */
import { tailFile } from '@evalhub/core';

const LOG_TAIL_LINES = 30;

/** The last exception line of a Python traceback (e.g. `RuntimeError: …`), if any. */
export function pythonError(log: string): string | undefined {
  const lines = log.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]?.trim() ?? '';
    if (/^([A-Za-z_][\w.]*)?(Error|Exception|Interrupt|Exit)\b[^:]*:/.test(line)) return line.slice(0, 500);
  }
  return undefined;
}

/** A line worth showing: not blank, not a tqdm progress bar. */
const telling = (line: string): boolean => line.trim().length > 0 && !/\d+%\|/.test(line);

/** The last lines of the benchmark log (progress bars left out), for failure messages. */
export async function logTail(logFile: string): Promise<string> {
  try {
    return (await tailFile(logFile, LOG_TAIL_LINES, telling)).join('\n');
  } catch {
    return '';
  }
}
