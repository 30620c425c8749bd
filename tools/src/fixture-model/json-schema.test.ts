import { describe, expect, it } from 'vitest';
import { extractPromptSchema, schemaInstance, validateInstance } from './json-schema.js';
import type { JsonSchema } from './json-schema.js';

// Shape of a pydantic v2 `model_json_schema()` with nested models, optionals, enums and bounds.
const pydanticLike: JsonSchema = {
  $defs: {
    Verdict: {
      properties: {
        statement: { title: 'Statement', type: 'string' },
        reason: { title: 'Reason', type: 'string' },
        verdict: { title: 'Verdict', type: 'integer', minimum: 0, maximum: 1 },
      },
      required: ['statement', 'reason', 'verdict'],
      title: 'Verdict',
      type: 'object',
    },
  },
  properties: {
    statements: { items: { $ref: '#/$defs/Verdict' }, title: 'Statements', type: 'array', minItems: 2 },
    label: { enum: ['yes', 'no'], type: 'string' },
    note: { anyOf: [{ type: 'string' }, { type: 'null' }], default: null },
    score: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
    tags: { type: 'array', items: { type: 'string', minLength: 12 }, maxItems: 0 },
    ok: { type: 'boolean' },
    fixed: { const: 'v1' },
    combined: { allOf: [{ $ref: '#/$defs/Verdict' }] },
  },
  required: ['statements', 'label', 'score', 'ok', 'fixed', 'combined'],
  additionalProperties: false,
  type: 'object',
};

describe('schema instances', () => {
  it('produces an instance the schema accepts', () => {
    const value = schemaInstance(pydanticLike);
    expect(validateInstance(pydanticLike, value)).toEqual([]);
    expect(value).toMatchObject({ label: 'yes', fixed: 'v1', tags: [], ok: true });
    expect((value as { statements: unknown[] }).statements).toHaveLength(2);
  });

  it('is deterministic and uses the string hook', () => {
    const hook = (path: readonly (string | number)[]): string => path.join('/');
    expect(JSON.stringify(schemaInstance(pydanticLike, { stringFor: hook }))).toBe(
      JSON.stringify(schemaInstance(pydanticLike, { stringFor: hook })),
    );
    expect(
      schemaInstance({ type: 'object', properties: { a: { type: 'string' } } }, { stringFor: hook }),
    ).toEqual({
      a: 'a',
    });
  });

  it('validator rejects non-conforming values', () => {
    expect(validateInstance(pydanticLike, { statements: [] })).not.toEqual([]);
    expect(validateInstance({ type: 'integer' }, 1.5)).not.toEqual([]);
    expect(validateInstance({ type: 'object', additionalProperties: false }, { x: 1 })).not.toEqual([]);
  });

  it('finds the schema instructor embeds in a prompt', () => {
    const prompt = `Extract it.\n\nAs a genius expert, your task is to understand the content and provide\nthe parsed objects in json that match the following json_schema:\n\n${JSON.stringify(pydanticLike, null, 2)}\n\nMake sure to return an instance of the JSON, not the schema itself`;
    expect(extractPromptSchema(prompt)).toEqual(pydanticLike);
    expect(extractPromptSchema('no schema here')).toBeUndefined();
  });
});
