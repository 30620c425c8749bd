import { describe, expect, it } from 'vitest';
import { CORE_ERROR_CODES } from './core-error-codes.js';
import {
  defineErrorCodes,
  errorCodeSpec,
  registerErrorCodes,
  registeredErrorCodes,
  statusForCode,
  type ErrorCodeTable,
} from './error-codes.js';
import {
  BenchmarkFailedError,
  ConflictError,
  EvalHubError,
  hasErrorCode,
  isEvalHubError,
  NotFoundError,
  PermanentTrackingError,
  QueueFullError,
  ValidationError,
} from './errors.js';
import { definePlugin } from './plugins/define-plugin.js';
import { registerPlugin } from './plugins/loader.js';
import { createTestPluginContext } from './testing/plugin-context.js';

describe("core's error-code table", () => {
  it('gives every code a meaning, a fix, and a status exactly when it is an HTTP answer', () => {
    const table: ErrorCodeTable = CORE_ERROR_CODES;
    for (const [code, spec] of Object.entries(table)) {
      expect(spec.meaning.trim(), code).not.toBe('');
      expect(spec.fix.trim(), code).not.toBe('');
      expect(spec.status !== undefined, code).toBe(spec.kind === 'request');
    }
  });

  it('is registered as core’s', () => {
    expect(errorCodeSpec('queue_full')).toMatchObject({ owner: '@evalhub/core', status: 429 });
    const core = registeredErrorCodes().filter((c) => c.owner === '@evalhub/core');
    expect(core.map((c) => c.code)).toEqual(Object.keys(CORE_ERROR_CODES));
  });
});

describe('defineErrorCodes', () => {
  it('refuses a request code without a status, a status on other kinds, and non-snake_case codes', () => {
    expect(() => defineErrorCodes({ a_b: { kind: 'request', meaning: 'm', fix: 'f' } })).toThrow(/status/);
    expect(() =>
      defineErrorCodes({ a_b: { kind: 'benchmark', status: 400, meaning: 'm', fix: 'f' } }),
    ).toThrow(/no HTTP status/);
    expect(() => defineErrorCodes({ 'Not-Snake': { kind: 'startup', meaning: 'm', fix: 'f' } })).toThrow(
      /snake_case/,
    );
    expect(() => defineErrorCodes({ a_b: { kind: 'startup', meaning: ' ', fix: 'f' } })).toThrow(/meaning/);
  });
});

describe('registerErrorCodes', () => {
  it('is idempotent for the same table and refuses a code another package declares', () => {
    const table = defineErrorCodes({ test_only_code: { kind: 'benchmark', meaning: 'm', fix: 'f' } });
    registerErrorCodes('@test/one', table);
    registerErrorCodes('@test/one', table);
    expect(() => registerErrorCodes('@test/two', table)).toThrow(/@test\/one declares already/);
    expect(() =>
      registerErrorCodes('@test/two', {
        queue_full: { kind: 'request', status: 503, meaning: 'm', fix: 'f' },
      }),
    ).toThrow(/@evalhub\/core declares already/);
  });

  it('refuses a plugin whose manifest redeclares a code (plugin_invalid)', async () => {
    const plugin = definePlugin({
      name: '@test/clashing',
      kind: 'provider',
      apiVersion: 1,
      errorCodes: { cancelled: { kind: 'benchmark', meaning: 'mine', fix: 'f' } },
      register() {},
    });
    const err = await registerPlugin(plugin, plugin.name, {}, createTestPluginContext()).catch(
      (e: unknown) => e,
    );
    expect(hasErrorCode(err, 'plugin_invalid')).toBe(true);
    expect((err as Error).message).toContain("'cancelled'");
  });
});

describe('statuses come from the table', () => {
  it('for each class of the hierarchy', () => {
    expect(new ValidationError('bad').status).toBe(400);
    expect(new NotFoundError('Evaluation', 'x')).toMatchObject({ code: 'evaluation_not_found', status: 404 });
    expect(new ConflictError('collection_exists', 'taken').status).toBe(409);
    expect(new QueueFullError(3, 5)).toMatchObject({ status: 429, headers: { 'Retry-After': '5' } });
    expect(new BenchmarkFailedError('boom').status).toBeUndefined();
  });

  it('picks among several statuses by the thrower’s preference, else the first', () => {
    expect(new NotFoundError('Collection', 'x').status).toBe(404);
    expect(new ValidationError('unknown', [], { code: 'collection_not_found' }).status).toBe(400);
    expect(new EvalHubError('collection_not_found', 'x').status).toBe(404);
    expect(statusForCode('collection_not_found', 418)).toBe(404);
    expect(statusForCode('no_such_code')).toBeUndefined();
  });
});

describe('the tracker’s permanent error', () => {
  it('is a hub error with its own code, recognised by code across copies of core', () => {
    const err = new PermanentTrackingError('name held by a deleted experiment');
    expect(isEvalHubError(err)).toBe(true);
    expect(hasErrorCode(err, 'tracking_failed')).toBe(true);
    // A copy of core marks its errors with the same registered symbol.
    const foreign = Object.assign(new Error('x'), { code: 'tracking_failed', details: [] });
    (foreign as unknown as Record<symbol, boolean>)[Symbol.for('evalhub.error')] = true;
    expect(hasErrorCode(foreign, 'tracking_failed')).toBe(true);
    expect(hasErrorCode(new Error('tracking_failed'), 'tracking_failed')).toBe(false);
  });
});
