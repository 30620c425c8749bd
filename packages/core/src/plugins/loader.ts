import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compileSchema, toErrorDetails } from '../contract/validator.js';
import { registerErrorCodes } from '../error-codes.js';
import { isEvalHubError, PluginError } from '../errors.js';
import {
  isPlugin,
  PLUGIN_API_VERSION,
  type Plugin,
  type PluginContext,
  type PluginKind,
} from './define-plugin.js';

export interface ResolvedPluginModule {
  name: string;
  /** Folder of the package (or the module file for path plugins). */
  location: string;
  plugin: Plugin<unknown>;
}

interface PackageJson {
  name?: string;
  main?: string;
  exports?: unknown;
  evalhub?: { kind?: PluginKind };
}

function readPackageJson(dir: string): PackageJson | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
  } catch {
    return undefined;
  }
}

/** node_modules folders from `dir` up to the filesystem root, like Node's own lookup. */
function nodeModulesChain(dir: string): string[] {
  const out: string[] = [];
  let current = resolve(dir);
  for (;;) {
    const nm = join(current, 'node_modules');
    if (existsSync(nm)) out.push(nm);
    const parent = dirname(current);
    if (parent === current) return out;
    current = parent;
  }
}

function exportTarget(exp: unknown): string | undefined {
  if (typeof exp === 'string') return exp;
  if (exp && typeof exp === 'object') {
    const o = exp as Record<string, unknown>;
    if ('.' in o) return exportTarget(o['.']);
    for (const cond of ['import', 'node', 'default']) if (cond in o) return exportTarget(o[cond]);
  }
  return undefined;
}

function entryOf(dir: string, pkg: PackageJson): string {
  const target = exportTarget(pkg.exports) ?? pkg.main ?? 'index.js';
  return join(dir, target);
}

/** Installed packages whose package.json has an `"evalhub"` field, looked up from each folder. */
export function discoverPluginPackages(
  searchFrom: readonly string[],
): { name: string; dir: string; kind?: PluginKind }[] {
  const found = new Map<string, { name: string; dir: string; kind?: PluginKind }>();
  for (const from of searchFrom) {
    for (const nm of nodeModulesChain(from)) {
      let entries: string[];
      try {
        entries = readdirSync(nm);
      } catch {
        continue;
      }
      const dirs: string[] = [];
      for (const entry of entries) {
        if (entry.startsWith('.')) continue;
        if (entry.startsWith('@')) {
          try {
            for (const sub of readdirSync(join(nm, entry))) dirs.push(join(nm, entry, sub));
          } catch {
            // unreadable scope folder
          }
        } else dirs.push(join(nm, entry));
      }
      for (const dir of dirs) {
        const pkg = readPackageJson(dir);
        if (!pkg?.name || !pkg.evalhub || found.has(pkg.name)) continue;
        found.set(pkg.name, { name: pkg.name, dir, ...(pkg.evalhub.kind ? { kind: pkg.evalhub.kind } : {}) });
      }
    }
  }
  return [...found.values()];
}

function locate(name: string, searchFrom: readonly string[]): { dir: string; entry: string } | undefined {
  if (name.startsWith('.') || isAbsolute(name)) {
    for (const from of searchFrom) {
      const file = resolve(from, name);
      if (existsSync(file)) return { dir: dirname(file), entry: file };
    }
    return undefined;
  }
  for (const from of searchFrom) {
    for (const nm of nodeModulesChain(from)) {
      const dir = join(nm, name);
      const pkg = readPackageJson(dir);
      if (pkg) return { dir, entry: entryOf(dir, pkg) };
    }
  }
  return undefined;
}

/**
 * Imports a plugin by package name (or path) and checks it: the definePlugin brand, the plugin API
 * version and, when `expectKind` is given, its kind. Every failure names the package and the fix.
 */
export async function importPlugin(
  name: string,
  searchFrom: readonly string[],
  expectKind?: PluginKind,
): Promise<ResolvedPluginModule> {
  const where = locate(name, searchFrom);
  if (!where) {
    throw new PluginError(
      name,
      `Plugin '${name}' is not installed (looked in node_modules from: ${searchFrom.join(', ')}). Install it next to your config file with 'npm install ${name}', or remove it from the config.`,
      { code: 'plugin_not_installed' },
    );
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(where.entry).href)) as Record<string, unknown>;
  } catch (err) {
    const built = existsSync(where.entry)
      ? ''
      : ` Its entry file ${where.entry} is missing: build the package ('npm run build').`;
    throw new PluginError(name, `Plugin '${name}' failed to load: ${(err as Error).message}.${built}`, {
      cause: err,
    });
  }
  const candidate = [mod.default, mod.plugin, ...Object.values(mod)].find(isPlugin);
  if (!candidate) {
    throw new PluginError(
      name,
      `'${name}' is not an Eval Hub plugin: it must export (as default) a manifest made with definePlugin() from @evalhub/core.`,
    );
  }
  if (candidate.apiVersion !== PLUGIN_API_VERSION) {
    throw new PluginError(
      name,
      `'${name}' targets plugin API v${candidate.apiVersion}, but this hub implements v${PLUGIN_API_VERSION}. Install a version of '${name}' built for @evalhub/core with API v${PLUGIN_API_VERSION}.`,
    );
  }
  if (expectKind && candidate.kind !== expectKind) {
    throw new PluginError(
      name,
      `'${name}' is a ${candidate.kind} plugin, but it is configured as the ${expectKind}. Move it to the right setting.`,
    );
  }
  return { name, location: where.dir, plugin: candidate };
}

/**
 * Checks options against the plugin's schema (ajv, with defaults applied), adds its error codes to
 * the hub's, and registers it.
 */
export async function registerPlugin(
  plugin: Plugin<unknown>,
  name: string,
  options: Record<string, unknown>,
  ctx: PluginContext,
): Promise<void> {
  if (plugin.errorCodes) {
    try {
      registerErrorCodes(plugin.name, plugin.errorCodes);
    } catch (err) {
      throw new PluginError(name, `Plugin '${name}' cannot be used: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  const opts = structuredClone(options);
  if (plugin.optionsSchema) {
    const validate = compileSchema(plugin.optionsSchema);
    if (!validate(opts)) {
      const details = toErrorDetails(validate.errors);
      throw new PluginError(
        name,
        `Options for plugin '${name}' are invalid: ${details.map((d) => `${d.pointer || '(root)'} ${d.message}`).join('; ')} Fix them in the config ('plugins' or 'plugin_options').`,
        { details },
      );
    }
  }
  try {
    await plugin.register(ctx, opts);
  } catch (err) {
    if (isEvalHubError(err) && (err.code === 'plugin_invalid' || err.code === 'plugin_not_installed'))
      throw err;
    throw new PluginError(name, `Plugin '${name}' failed to register: ${(err as Error).message}`, {
      cause: err,
    });
  }
}
