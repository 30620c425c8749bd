/**
 * The OpenAPI document says what the server enforces (what schemathesis --checks all holds the
 * server to): each rule is checked in the document the real server serves and against its answers.
 */
import { compileSchema, type Evaluation } from '@evalhub/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, testServer, type TestServer } from './support/harness.js';

let s: TestServer;
let doc: any;
beforeAll(async () => {
  s = await testServer();
  doc = (await http(s.url, 'GET', '/openapi.json')).body;
});
afterAll(async () => {
  await s?.stop();
});

const BENCHMARKS = [{ benchmark_id: 'ok', provider_id: 'scripted' }];
const MODEL = { server: 'vllm', name: 'm' };

describe('the document matches the server', () => {
  it('benchmarks and collection_id exclude each other in the request body schema, as the server says', async () => {
    const schema = doc.paths['/api/v1/evaluations'].post.requestBody.content['application/json'].schema;
    const exactlyOne = compileSchema({ oneOf: schema.oneOf });
    expect(exactlyOne({ model: MODEL, benchmarks: BENCHMARKS })).toBe(true);
    expect(exactlyOne({ model: MODEL, collection_id: 'healthcare' })).toBe(true);
    expect(exactlyOne({ model: MODEL, benchmarks: BENCHMARKS, collection_id: 'healthcare' })).toBe(false);
    expect(exactlyOne({ model: MODEL })).toBe(false);

    const both = await http(s.url, 'POST', '/api/v1/evaluations', {
      json: { model: MODEL, benchmarks: BENCHMARKS, collection_id: 'healthcare' },
    });
    expect([both.status, both.body.error.code]).toEqual([400, 'benchmarks_and_collection']);
    const neither = await http(s.url, 'POST', '/api/v1/evaluations', { json: { model: MODEL } });
    expect([neither.status, neither.body.error.code]).toEqual([400, 'nothing_to_evaluate']);
  });

  it('an empty cursor is refused by the schema and by the server', async () => {
    const cursor = doc.paths['/api/v1/evaluations'].get.parameters.find(
      (p: { name?: string }) => p.name === 'cursor',
    );
    // (the opaque cursor's format is for the fuzzer's hooks; ajv knows no such format)
    const { format: _format, ...rules } = cursor.schema;
    expect(compileSchema(rules)('')).toBe(false);
    const r = await http(s.url, 'GET', '/api/v1/evaluations?cursor=');
    expect(r.status).toBe(400);
    expect(r.body.error.details[0].pointer).toBe('/cursor');
  });

  it('an empty Last-Event-ID is refused as the schema says (was read as "from the start")', async () => {
    const header = doc.paths['/api/v1/evaluations/{id}/events'].get.parameters.find(
      (p: { name?: string }) => p.name === 'Last-Event-ID',
    );
    expect(compileSchema(header.schema)('')).toBe(false);
    const e = (
      await http<Evaluation>(s.url, 'POST', '/api/v1/evaluations', {
        json: { model: MODEL, benchmarks: BENCHMARKS },
      })
    ).body;
    const r = await http(s.url, 'GET', `/api/v1/evaluations/${e.id}/events`, {
      headers: { 'last-event-id': '' },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid_header');
    expect(r.body.error.details[0].pointer).toBe('/Last-Event-ID');
    await s.hub.service.wait(e.id);
  });

  it('documents 431 on every operation and 408 on every operation with a body', () => {
    for (const [path, item] of Object.entries<Record<string, any>>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        if (!['get', 'put', 'post', 'delete', 'patch'].includes(method)) continue;
        expect(op.responses['431'], `${method} ${path}`).toBeDefined();
        if (op.requestBody) expect(op.responses['408'], `${method} ${path}`).toBeDefined();
      }
    }
  });
});
