import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isPlugin, registerErrorCodes, registeredErrorCodes, type RegisteredErrorCode } from '@evalhub/core';
import { SERVER_ERROR_CODES } from '@evalhub/server';

/** The repo's plugin packages: `packages/*` whose package.json has an `evalhub.kind`. */
async function repoPlugins(repoRoot: string): Promise<string[]> {
  const names: string[] = [];
  for (const dir of (await readdir(join(repoRoot, 'packages'))).sort()) {
    try {
      const pkg = JSON.parse(await readFile(join(repoRoot, 'packages', dir, 'package.json'), 'utf8')) as {
        name?: string;
        evalhub?: { kind?: string };
      };
      if (pkg.name && pkg.evalhub?.kind) names.push(pkg.name);
    } catch {
      // not a package
    }
  }
  return names;
}

/**
 * Every code the repo declares: core's and the server's tables, and each repo plugin's, read from its
 * manifest's `errorCodes` (as the hub's loader reads it). A code declared twice throws.
 */
export async function collectErrorCodes(repoRoot: string): Promise<RegisteredErrorCode[]> {
  registerErrorCodes('@evalhub/server', SERVER_ERROR_CODES);
  for (const name of await repoPlugins(repoRoot)) {
    const mod = (await import(name)) as Record<string, unknown>;
    const manifest = [mod.default, ...Object.values(mod)].find(isPlugin);
    if (!manifest) throw new Error(`${name} exports no plugin manifest`);
    if (manifest.errorCodes) registerErrorCodes(manifest.name, manifest.errorCodes);
  }
  return registeredErrorCodes();
}
