import { ConfigError } from '../errors.js';
import type { PluginDefinition } from './define-plugin.js';

type Raw = Record<string, unknown>;

export interface PluginOptionSources {
  /** The environment the hub's config was read from. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Top-level config-file sections by name (the plugin's `settings.section` picks one). */
  sections?: Readonly<Record<string, Raw>>;
  /** Options given in the plugin's own entry (`tracker: {name, options}`, `plugins`, `plugin_options`). */
  explicit?: Raw;
}

const TRUE = /^(1|true|yes|on)$/i;
const FALSE = /^(0|false|no|off)$/i;

function schemaType(schema: unknown): string | undefined {
  const t = (schema as { type?: unknown } | undefined)?.type;
  return typeof t === 'string' ? t : Array.isArray(t) ? (t.find((x) => x !== 'null') as string) : undefined;
}

/**
 * Converts one environment value by the option's type in the plugin's options schema: booleans
 * from `1/true/yes/on` and `0/false/no/off`, numbers and integers by value, anything else as the
 * string. An empty value counts as unset.
 */
export function envValue(variable: string, value: string, optionSchema: unknown): unknown {
  const type = schemaType(optionSchema);
  if (type === 'boolean') {
    if (TRUE.test(value.trim())) return true;
    if (FALSE.test(value.trim())) return false;
    throw new ConfigError(`${variable}='${value}' must be true or false (1/0, yes/no, on/off).`);
  }
  if (type === 'number' || type === 'integer') {
    const n = Number(value.trim());
    if (value.trim() === '' || !Number.isFinite(n) || (type === 'integer' && !Number.isInteger(n)))
      throw new ConfigError(
        `${variable}='${value}' is not ${type === 'integer' ? 'an integer' : 'a number'}.`,
      );
    return n;
  }
  return value;
}

/**
 * The options a plugin is registered with, from every place the hub reads them, in this order of
 * precedence: its own config entry > the environment variables its manifest maps
 * (`settings.env`) > its config-file section (`settings.section`) > the `default` of each option in
 * its options schema. The one way core maps a plugin's environment: the plugin declares it, core
 * applies it with one set of rules (see envValue).
 */
export function resolvePluginOptions(
  plugin: Pick<PluginDefinition<never>, 'optionsSchema' | 'settings'>,
  sources: PluginOptionSources = {},
): Raw {
  const properties = ((plugin.optionsSchema as { properties?: Raw } | undefined)?.properties ?? {}) as Raw;
  const out: Raw = {};
  for (const [key, schema] of Object.entries(properties)) {
    const d = (schema as { default?: unknown } | undefined)?.default;
    if (d !== undefined) out[key] = structuredClone(d);
  }
  const section = plugin.settings?.section;
  if (section !== undefined) Object.assign(out, sources.sections?.[section] ?? {});
  for (const [option, variable] of Object.entries(plugin.settings?.env ?? {})) {
    const value = sources.env?.[variable];
    if (value === undefined || value === '') continue;
    out[option] = envValue(variable, value, properties[option]);
  }
  Object.assign(out, sources.explicit ?? {});
  return out;
}
