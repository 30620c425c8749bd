/**
 * A deterministic instance generator and a small validator for the JSON Schema subset that
 * OpenAI-style `response_format` schemas use in practice (pydantic `model_json_schema()` output:
 * objects, arrays, scalars, enum/const, anyOf/oneOf/allOf, `$ref` into `$defs`/`definitions`).
 */

export type JsonSchema = Record<string, unknown>;
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface InstanceOptions {
  /** String value for the location `path` (property names / array indexes from the root). */
  stringFor?: (path: readonly (string | number)[], schema: JsonSchema) => string;
  /** Number of items generated for arrays without `minItems` (clamped to `maxItems`). Default 1. */
  arrayItems?: number;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function resolveRef(root: JsonSchema, schema: JsonSchema, depth = 0): JsonSchema {
  const ref = schema['$ref'];
  if (typeof ref !== 'string' || depth > 32) return schema;
  if (ref === '#') return root;
  if (!ref.startsWith('#/')) return {};
  let target: unknown = root;
  for (const part of ref.slice(2).split('/')) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    target = isObject(target) ? target[key] : undefined;
  }
  if (!isObject(target)) return {};
  const { $ref: _ignored, ...rest } = schema;
  return resolveRef(root, { ...target, ...rest }, depth + 1);
}

function schemaTypes(schema: JsonSchema): string[] {
  const t = schema['type'];
  if (typeof t === 'string') return [t];
  if (Array.isArray(t)) return t.filter((x): x is string => typeof x === 'string');
  if (isObject(schema['properties'])) return ['object'];
  if (schema['items'] !== undefined) return ['array'];
  return [];
}

const defaultString = (path: readonly (string | number)[]): string => {
  const name = [...path].reverse().find((p): p is string => typeof p === 'string');
  return name ? `fixture ${name}` : 'fixture';
};

/** A deterministic value conforming to `schema` (for the supported subset). */
export function schemaInstance(schema: JsonSchema, options: InstanceOptions = {}): JsonValue {
  const root = schema;
  const stringFor = options.stringFor ?? ((path) => defaultString(path));
  const arrayItems = options.arrayItems ?? 1;

  const gen = (raw: unknown, path: (string | number)[], depth: number): JsonValue => {
    if (!isObject(raw) || depth > 24) return null;
    const s = resolveRef(root, raw);
    if ('const' in s) return s['const'] as JsonValue;
    if (Array.isArray(s['enum']) && s['enum'].length > 0) return s['enum'][0] as JsonValue;
    if (Array.isArray(s['allOf']) && s['allOf'].length > 0) {
      const merged: JsonSchema = {};
      for (const part of s['allOf']) {
        const p = isObject(part) ? resolveRef(root, part) : {};
        for (const [k, v] of Object.entries(p)) {
          if (k === 'properties' && isObject(merged[k]) && isObject(v)) merged[k] = { ...merged[k], ...v };
          else if (k === 'required' && Array.isArray(merged[k]) && Array.isArray(v))
            merged[k] = [...(merged[k] as unknown[]), ...v];
          else merged[k] = v;
        }
      }
      const { allOf: _a, ...rest } = s;
      return gen({ ...merged, ...rest }, path, depth + 1);
    }
    for (const key of ['anyOf', 'oneOf'] as const) {
      const options = s[key];
      if (Array.isArray(options) && options.length > 0) {
        const nonNull = options.find(
          (o) => isObject(o) && !schemaTypes(resolveRef(root, o)).includes('null'),
        );
        return gen(nonNull ?? options[0], path, depth + 1);
      }
    }
    const types = schemaTypes(s);
    const type = types.find((t) => t !== 'null') ?? types[0];
    switch (type) {
      case 'object': {
        const out: Record<string, JsonValue> = {};
        const props = isObject(s['properties']) ? s['properties'] : {};
        for (const [name, sub] of Object.entries(props)) out[name] = gen(sub, [...path, name], depth + 1);
        return out;
      }
      case 'array': {
        const min = typeof s['minItems'] === 'number' ? s['minItems'] : 0;
        const max = typeof s['maxItems'] === 'number' ? s['maxItems'] : Infinity;
        const count = Math.min(max, Math.max(min, arrayItems));
        const prefix = Array.isArray(s['prefixItems']) ? s['prefixItems'] : [];
        return Array.from({ length: count }, (_, i) =>
          gen(prefix[i] ?? s['items'] ?? {}, [...path, i], depth + 1),
        );
      }
      case 'string': {
        let value = stringFor(path, s);
        const fmt = s['format'];
        if (fmt === 'date-time') value = '2024-01-01T00:00:00Z';
        else if (fmt === 'date') value = '2024-01-01';
        else if (fmt === 'email') value = 'fixture@example.com';
        else if (fmt === 'uri') value = 'https://example.com/fixture';
        const minLength = typeof s['minLength'] === 'number' ? s['minLength'] : 0;
        const maxLength = typeof s['maxLength'] === 'number' ? s['maxLength'] : Infinity;
        if (value.length < minLength) value = value.padEnd(minLength, 'x');
        if (value.length > maxLength) value = value.slice(0, maxLength);
        return value;
      }
      case 'integer':
      case 'number': {
        let lo = -Infinity;
        let hi = Infinity;
        if (typeof s['minimum'] === 'number') lo = s['minimum'];
        if (typeof s['exclusiveMinimum'] === 'number')
          lo = Math.max(lo, s['exclusiveMinimum'] + (type === 'integer' ? 1 : 1e-6));
        if (typeof s['maximum'] === 'number') hi = s['maximum'];
        if (typeof s['exclusiveMaximum'] === 'number')
          hi = Math.min(hi, s['exclusiveMaximum'] - (type === 'integer' ? 1 : 1e-6));
        let v = Math.min(hi, Math.max(lo, type === 'integer' ? 1 : 0.5));
        if (type === 'integer') v = Number.isFinite(lo) && v < lo ? Math.ceil(lo) : Math.floor(v);
        return v;
      }
      case 'boolean':
        return true;
      case 'null':
        return null;
      default:
        return null;
    }
  };
  return gen(schema, [], 0);
}

/** Validate `value` against `schema` (supported subset). Returns error messages, empty when valid. */
export function validateInstance(schema: JsonSchema, value: unknown): string[] {
  const root = schema;
  const errors: string[] = [];
  const typeOk = (t: string, v: unknown): boolean => {
    switch (t) {
      case 'object':
        return isObject(v);
      case 'array':
        return Array.isArray(v);
      case 'string':
        return typeof v === 'string';
      case 'integer':
        return typeof v === 'number' && Number.isInteger(v);
      case 'number':
        return typeof v === 'number' && Number.isFinite(v);
      case 'boolean':
        return typeof v === 'boolean';
      case 'null':
        return v === null;
      default:
        return true;
    }
  };
  const check = (raw: unknown, v: unknown, at: string, out: string[]): void => {
    if (!isObject(raw)) return;
    const s = resolveRef(root, raw);
    if ('const' in s && JSON.stringify(s['const']) !== JSON.stringify(v)) out.push(`${at}: must equal const`);
    if (Array.isArray(s['enum']) && !s['enum'].some((e) => JSON.stringify(e) === JSON.stringify(v)))
      out.push(`${at}: not in enum`);
    const types = schemaTypes(s);
    if (types.length > 0 && !types.some((t) => typeOk(t, v))) {
      out.push(`${at}: expected ${types.join('|')}`);
      return;
    }
    if (Array.isArray(s['allOf'])) for (const sub of s['allOf']) check(sub, v, at, out);
    for (const key of ['anyOf', 'oneOf'] as const) {
      const subs = s[key];
      if (Array.isArray(subs)) {
        const passing = subs.filter((sub) => {
          const e: string[] = [];
          check(sub, v, at, e);
          return e.length === 0;
        }).length;
        if (key === 'anyOf' ? passing === 0 : passing !== 1) out.push(`${at}: ${key} not satisfied`);
      }
    }
    if (isObject(v)) {
      const props = isObject(s['properties']) ? s['properties'] : {};
      const required = Array.isArray(s['required']) ? s['required'] : [];
      for (const name of required)
        if (typeof name === 'string' && !(name in v)) out.push(`${at}: missing ${name}`);
      for (const [name, sub] of Object.entries(v)) {
        if (name in props) check(props[name], sub, `${at}.${name}`, out);
        else if (s['additionalProperties'] === false) out.push(`${at}: unexpected property ${name}`);
        else if (isObject(s['additionalProperties']))
          check(s['additionalProperties'], sub, `${at}.${name}`, out);
      }
    }
    if (Array.isArray(v)) {
      if (typeof s['minItems'] === 'number' && v.length < s['minItems']) out.push(`${at}: too few items`);
      if (typeof s['maxItems'] === 'number' && v.length > s['maxItems']) out.push(`${at}: too many items`);
      v.forEach((item, i) => check(s['items'], item, `${at}[${i}]`, out));
    }
    if (typeof v === 'string') {
      if (typeof s['minLength'] === 'number' && v.length < s['minLength']) out.push(`${at}: too short`);
      if (typeof s['maxLength'] === 'number' && v.length > s['maxLength']) out.push(`${at}: too long`);
    }
    if (typeof v === 'number') {
      if (typeof s['minimum'] === 'number' && v < s['minimum']) out.push(`${at}: below minimum`);
      if (typeof s['maximum'] === 'number' && v > s['maximum']) out.push(`${at}: above maximum`);
      if (typeof s['exclusiveMinimum'] === 'number' && v <= s['exclusiveMinimum'])
        out.push(`${at}: below exclusiveMinimum`);
      if (typeof s['exclusiveMaximum'] === 'number' && v >= s['exclusiveMaximum'])
        out.push(`${at}: above exclusiveMaximum`);
    }
  };
  check(schema, value, '$', errors);
  return errors;
}

/**
 * The JSON schema embedded in a prompt by instructor's JSON modes ("… match the following
 * json_schema: {…} Make sure to return an instance …"), or undefined.
 */
export function extractPromptSchema(text: string): JsonSchema | undefined {
  const marker = text.search(/following json_schema:/i);
  if (marker < 0) return undefined;
  const start = text.indexOf('{', marker);
  if (start < 0) return undefined;
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '{') depth++;
    else if (ch === '}' && --depth === 0) {
      try {
        const parsed: unknown = JSON.parse(text.slice(start, i + 1));
        return isObject(parsed) ? parsed : undefined;
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}
