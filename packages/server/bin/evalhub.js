#!/usr/bin/env node
// The `evalhub` command. npm links a package's bins at install time, and only to files that exist:
// pointing the bin at the build output (dist/cli.js) left a fresh clone without `npx evalhub`,
// because `npm ci` runs before `npm run build`. This committed file is always there to link; it
// runs the built CLI, or says how to build it.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
if (!existsSync(cli)) {
  process.stderr.write(
    `evalhub: the CLI is not built yet (${cli} is missing). Run \`npm run build\` in the Eval Hub repository first.\n`,
  );
  process.exit(2);
}
// dist/cli.js runs its main() when it is the entry point, which it recognises by process.argv[1].
process.argv[1] = cli;
await import(pathToFileURL(cli).href);
