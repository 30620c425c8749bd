import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

/**
 * Where `command` is, the way the shell would find it: a path (relative to `cwd`) as given, a bare
 * name on `PATH`. Undefined when there is no executable file of that name; the runtime reports that
 * as a spawn failure before anything is started.
 */
export async function resolveCommand(
  command: string,
  path: string | undefined,
  cwd: string = process.cwd(),
): Promise<string | undefined> {
  const candidates = command.includes('/')
    ? [isAbsolute(command) ? command : resolve(cwd, command)]
    : (path ?? '')
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(resolve(cwd, dir), command));
  for (const candidate of candidates) {
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  return undefined;
}
