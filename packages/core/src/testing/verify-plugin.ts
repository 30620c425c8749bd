import { compileSchema } from '../contract/validator.js';
import {
  isPlugin,
  PLUGIN_API_VERSION,
  type HubInfo,
  type Plugin,
  type PluginKind,
} from '../plugins/define-plugin.js';
import { registerPlugin } from '../plugins/loader.js';
import { resolvePluginOptions } from '../plugins/plugin-options.js';
import { ConformanceError, type ConformanceCheck } from './conformance.js';
import { createTestPluginContext, type TestPluginContext } from './plugin-context.js';

const KINDS: readonly PluginKind[] = ['provider', 'tracker', 'store', 'runtime'];
const ENV_NAME = /^[A-Z][A-Z0-9_]*$/;

export interface VerifyPluginOptions {
  /** The kind the plugin must have. */
  kind?: PluginKind;
  /** The package name the manifest must carry. */
  name?: string;
  /** Options to register with (as the plugin's config entry), after the schema's defaults. */
  options?: Record<string, unknown>;
  /** Environment the plugin's declared variables are read from (default: none). */
  env?: Record<string, string>;
  /** Options the schema must refuse, each on its own (typos, wrong types). */
  invalidOptions?: Record<string, unknown>[];
  hub?: Partial<HubInfo>;
}

export interface VerifiedPlugin {
  checks: ConformanceCheck[];
  /** The context the plugin registered into: its providers, tracker, handlers… Close it when done. */
  context: TestPluginContext;
  /** The options it was registered with. */
  options: Record<string, unknown>;
}

/**
 * The plugin manifest verifier: what the hub's loader checks (the definePlugin brand, the plugin API
 * version, the kind), a valid options schema that refuses what it should, `settings` naming real
 * options and environment variables, and a `register` that succeeds against a test plugin context
 * and contributes what its kind promises (a tracker plugin sets the tracker, a provider plugin adds
 * a provider…). Throws ConformanceError listing every failed check.
 */
export async function verifyPlugin(manifest: unknown, o: VerifyPluginOptions = {}): Promise<VerifiedPlugin> {
  const checks: ConformanceCheck[] = [];
  const check = async (name: string, fn: () => unknown): Promise<boolean> => {
    try {
      const r = await fn();
      checks.push(r === false ? { name, ok: false } : { name, ok: true });
      return r !== false;
    } catch (err) {
      checks.push({ name, ok: false, message: (err as Error).message });
      return false;
    }
  };
  const fail = (message: string): never => {
    throw new Error(message);
  };
  const subject = `Plugin '${String((manifest as { name?: unknown } | null)?.name ?? '?')}'`;
  const context = createTestPluginContext({
    ...(typeof (manifest as { name?: unknown })?.name === 'string'
      ? { name: (manifest as { name: string }).name }
      : {}),
    ...(o.hub ? { hub: o.hub } : {}),
    ...(KINDS.includes((manifest as { kind?: PluginKind })?.kind as PluginKind)
      ? { kind: (manifest as { kind: PluginKind }).kind }
      : {}),
  });
  let options: Record<string, unknown> = {};

  if (
    !(await check(
      'carries the definePlugin brand',
      () => isPlugin(manifest) || fail('not made with definePlugin()'),
    ))
  )
    throw new ConformanceError(subject, checks);
  const plugin = manifest as Plugin<unknown>;
  await check(
    `targets plugin API v${PLUGIN_API_VERSION}`,
    () => plugin.apiVersion === PLUGIN_API_VERSION || fail(`declares v${String(plugin.apiVersion)}`),
  );
  await check(
    'has a name',
    () => (typeof plugin.name === 'string' && plugin.name.length > 0) || fail('empty or missing name'),
  );
  if (o.name !== undefined)
    await check(`is named '${o.name}'`, () => plugin.name === o.name || fail(`named '${plugin.name}'`));
  await check('has a known kind', () => KINDS.includes(plugin.kind) || fail(`kind '${String(plugin.kind)}'`));
  if (o.kind !== undefined)
    await check(`is a ${o.kind} plugin`, () => plugin.kind === o.kind || fail(`a ${plugin.kind} plugin`));
  await check(
    'has a register function',
    () => typeof plugin.register === 'function' || fail('no register()'),
  );

  const properties = ((plugin.optionsSchema as { properties?: Record<string, unknown> } | undefined)
    ?.properties ?? {}) as Record<string, unknown>;
  let schemaOk = true;
  if (plugin.optionsSchema !== undefined) {
    schemaOk = await check('options schema compiles (JSON Schema 2020-12)', () =>
      compileSchema(plugin.optionsSchema!),
    );
    for (const bad of o.invalidOptions ?? [])
      await check(`options schema refuses ${JSON.stringify(bad)}`, () => {
        const validate = compileSchema(plugin.optionsSchema!);
        return !validate(resolvePluginOptions(plugin, { explicit: bad })) || fail('accepted');
      });
  }
  if (plugin.settings !== undefined) {
    await check('settings.env maps options of the schema to environment variable names', () => {
      for (const [option, variable] of Object.entries(plugin.settings?.env ?? {})) {
        if (plugin.optionsSchema && !(option in properties))
          fail(`'${option}' is not an option of the schema`);
        if (!ENV_NAME.test(variable)) fail(`'${variable}' is not an environment variable name`);
      }
    });
    if (plugin.settings.section !== undefined)
      await check(
        'settings.section is a name',
        () => /^[a-z][a-z0-9_-]*$/.test(plugin.settings!.section!) || fail(`'${plugin.settings!.section}'`),
      );
  }

  await check('registers against a plugin context with the given options', async () => {
    options = resolvePluginOptions(plugin, { env: o.env ?? {}, explicit: o.options ?? {} });
    if (!schemaOk) fail('the options schema does not compile');
    await registerPlugin(plugin, plugin.name, options, context);
  });
  const contributes: Record<PluginKind, [string, () => boolean]> = {
    tracker: ['sets the tracker', () => context.tracker !== undefined],
    store: ['sets the store', () => context.store !== undefined],
    runtime: ['sets the runtime', () => context.runtime !== undefined],
    provider: ['adds at least one provider', () => context.providers.length > 0],
  };
  const promise = contributes[plugin.kind];
  if (promise) await check(promise[0], () => promise[1]() || fail('nothing registered'));

  if (checks.some((c) => !c.ok)) {
    await context.close();
    throw new ConformanceError(subject, checks);
  }
  return { checks, context, options };
}
