import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { ErrorDetail } from '../errors.js';
import { ValidationError } from '../errors.js';
import openapi from './openapi.json' with { type: 'json' };

// ajv-formats is CommonJS; under NodeNext its default import is the module namespace.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as unknown as (a: Ajv2020) => Ajv2020;

/** The OpenAPI document (the single source of truth of the HTTP contract). */
export const openApiDocument: Readonly<Record<string, unknown>> = openapi;

const SCHEMA_ID = 'https://evalhub.dev/openapi.json';

const TAG_KEY_HELP =
  "use only letters, digits, '_', '-' and '.' (the key rule trackers share), at most 250 characters";

/** Patterns of the document's free-text fields, recognised to explain a mismatch in words. */
const schemas = openapi.components.schemas;
const TEXT_PATTERN_HELP = new Map<string, string>([
  [
    String(schemas.ModelSpec.properties.name.pattern),
    'Must not be blank, and must not contain control characters, bidirectional-override characters or unpaired surrogates.',
  ],
  [
    String(schemas.ExperimentConfig.properties.name.pattern),
    "Must not be blank, and must not contain '/', control characters, bidirectional-override characters or unpaired surrogates.",
  ],
  [
    String(schemas.ExperimentTags.additionalProperties.pattern),
    'Must not contain control characters (other than tab and line breaks), bidirectional-override characters or unpaired surrogates.',
  ],
]);

let ajvInstance: Ajv2020 | undefined;
function ajv(): Ajv2020 {
  if (!ajvInstance) {
    ajvInstance = new Ajv2020({ allErrors: true, strict: false, verbose: true });
    addFormats(ajvInstance);
    ajvInstance.addSchema({ ...openapi, $id: SCHEMA_ID });
  }
  return ajvInstance;
}

const compiled = new Map<string, ValidateFunction>();

/** A validator for one schema of the OpenAPI document's `components.schemas`. */
export function schemaValidator(name: string): ValidateFunction {
  let fn = compiled.get(name);
  if (!fn) {
    fn = ajv().getSchema(`${SCHEMA_ID}#/components/schemas/${name}`);
    if (!fn) throw new Error(`No schema '${name}' in the OpenAPI document`);
    compiled.set(name, fn);
  }
  return fn;
}

/** Compile an arbitrary JSON Schema (plugin options) with the same ajv setup. */
export function compileSchema(schema: Record<string, unknown>): ValidateFunction {
  return ajv().compile(schema);
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** Turn ajv errors into pointer + human message pairs that say how to fix the input. */
export function toErrorDetails(
  errors: readonly ErrorObject[] | null | undefined,
  prefix = '',
): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  const seen = new Set<string>();
  for (const e of errors ?? []) {
    const at = prefix + e.instancePath;
    let pointer = at;
    let message: string;
    const p = e.params as Record<string, unknown>;
    switch (e.keyword) {
      case 'required':
        pointer = `${at}/${escapePointer(String(p.missingProperty))}`;
        message = `'${String(p.missingProperty)}' is required.`;
        break;
      case 'additionalProperties': {
        pointer = `${at}/${escapePointer(String(p.additionalProperty))}`;
        const parent = e.parentSchema as { properties?: Record<string, unknown> } | undefined;
        const allowed = Object.keys(parent?.properties ?? {});
        message = `'${String(p.additionalProperty)}' is not a known field here.${
          allowed.length ? ` Allowed fields: ${allowed.join(', ')}.` : ''
        }`;
        break;
      }
      case 'propertyNames':
        pointer = `${at}/${escapePointer(String(p.propertyName))}`;
        message = !at.endsWith('/tags')
          ? `Key '${String(p.propertyName)}' is not valid.`
          : /^(mlflow|evalhub)\./.test(String(p.propertyName))
            ? `Tag key '${String(p.propertyName)}' is in the reserved '${String(p.propertyName).split('.')[0]}.' namespace (reserved for the tracker and the hub); rename the tag.`
            : `Tag key '${String(p.propertyName)}' is not valid: ${TAG_KEY_HELP}.`;
        break;
      case 'type':
        message = `Must be ${String(p.type).replace(/,/g, ' or ')}, got ${describeType(e.data)}.`;
        break;
      case 'enum':
        message = `Must be one of: ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}.`;
        break;
      case 'minLength':
        message =
          Number(p.limit) === 1 ? 'Must not be empty.' : `Must be at least ${String(p.limit)} characters.`;
        break;
      case 'maxLength':
        message = `Must be at most ${String(p.limit)} characters.`;
        break;
      case 'minItems':
        message = `Must have at least ${String(p.limit)} item(s).`;
        break;
      case 'maxItems':
        message = `Must have at most ${String(p.limit)} items.`;
        break;
      case 'maxProperties':
        message = `Must have at most ${String(p.limit)} entries.`;
        break;
      case 'minimum':
      case 'maximum':
      case 'exclusiveMinimum':
      case 'exclusiveMaximum':
        message = `Must be ${String(p.comparison)} ${String(p.limit)}.`;
        break;
      case 'format':
        message =
          p.format === 'uri'
            ? 'Must be an absolute URL such as http://vllm:8000/v1.'
            : `Must be a valid ${String(p.format)}.`;
        break;
      case 'pattern':
        if (TEXT_PATTERN_HELP.has(String(p.pattern))) message = TEXT_PATTERN_HELP.get(String(p.pattern))!;
        else if (at.endsWith('/url'))
          message = 'Must be an http:// or https:// URL such as http://vllm:8000/v1.';
        else if (
          /\/benchmarks\/\d+\/(benchmark_id|provider_id)$/.test(at) ||
          at.endsWith('/collection_id') ||
          at.endsWith('/id')
        )
          message = "Use only letters, digits, '_', '-', '.' (and ':' in benchmark ids).";
        else message = `Does not match the expected format ${String(p.pattern)}.`;
        break;
      default:
        message = e.message ? `${e.message[0]?.toUpperCase()}${e.message.slice(1)}.` : 'Is invalid.';
    }
    const key = `${pointer}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    details.push({ pointer, message });
  }
  return details;
}

/** Validate `value` against a named schema; throws a ValidationError listing every problem. */
export function assertValid<T>(schemaName: string, value: unknown, what = 'The request body'): T {
  const validate = schemaValidator(schemaName);
  if (!validate(value)) {
    const details = toErrorDetails(validate.errors);
    const first = details[0];
    throw new ValidationError(
      `${what} is invalid${first ? `: ${first.pointer || '(root)'} ${first.message}` : ''}${
        details.length > 1 ? ` (and ${details.length - 1} more problem${details.length > 2 ? 's' : ''})` : ''
      }`,
      details,
    );
  }
  return value as T;
}
