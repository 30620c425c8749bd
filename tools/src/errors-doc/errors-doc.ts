import { join } from 'node:path';
import * as prettier from 'prettier';
import { collectErrorCodes } from './collect.js';
import { renderErrorsDoc } from './render.js';

/** docs/errors.md as it should be: `current`'s hand-written head and the tables, formatted by prettier. */
export async function errorsDoc(repoRoot: string, current: string): Promise<string> {
  const file = join(repoRoot, 'docs/errors.md');
  const text = renderErrorsDoc(current, await collectErrorCodes(repoRoot));
  const options = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(text, { ...options, filepath: file });
}
