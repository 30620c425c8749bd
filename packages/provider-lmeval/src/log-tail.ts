/** The end of a benchmark log, for failure messages. */
import { open } from 'node:fs/promises';

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

/** The last lines of the benchmark log (progress bars left out), for failure messages. */
export async function logTail(logFile: string): Promise<string> {
  try {
    const handle = await open(logFile, 'r');
    try {
      const { size } = await handle.stat();
      const length = Math.min(size, 16_384);
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, size - length);
      const lines = buffer
        .toString('utf8')
        .split(/\r\n|\n|\r/)
        .filter((l) => l.trim().length > 0 && !/\d+%\|/.test(l));
      return lines.slice(-LOG_TAIL_LINES).join('\n');
    } finally {
      await handle.close();
    }
  } catch {
    return '';
  }
}
