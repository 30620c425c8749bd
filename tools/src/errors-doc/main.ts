// Writes docs/errors.md from the error-code tables, or with --check fails when it is out of date.
// Run through `npm run generate` / `npm run check:generated` (sources resolved via @evalhub/source).
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorsDoc } from './errors-doc.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const file = join(repoRoot, 'docs/errors.md');
const current = await readFile(file, 'utf8');
const next = await errorsDoc(repoRoot, current);
if (process.argv.includes('--check')) {
  if (next !== current) {
    process.stderr.write('docs/errors.md is out of date with the error-code tables: run npm run generate\n');
    process.exit(1);
  }
} else if (next !== current) {
  await writeFile(file, next);
  process.stdout.write('docs/errors.md regenerated\n');
}
