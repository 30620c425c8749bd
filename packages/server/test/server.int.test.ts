import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { openApiDocument, type Evaluation } from '@evalhub/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEALTHCARE_COLLECTION, http, readEvents, testServer, type TestServer } from './support/harness.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const fixture = (name: string): string => readFileSync(join(fixtures, name), 'utf8');
const ok = (config: Record<string, unknown> = {}, benchmark = 'ok') => ({
  model: { server: 'vllm', name: 'scripted-model' },
  benchmarks: [{ benchmark_id: benchmark, provider_id: 'scripted', config }],
});

let s: TestServer;
beforeAll(async () => {
  s = await testServer();
});
afterAll(async () => {
  await s?.stop();
});

async function submit(body: unknown, headers: Record<string, string> = {}): Promise<Evaluation> {
  const r = await http<Evaluation>(s.url, 'POST', '/api/v1/evaluations', { json: body, headers });
  expect(r.status, r.text).toBe(202);
  return r.body;
}

function expectErrorBody(
  r: { status: number; headers: Headers; body: any },
  status: number,
  code?: string,
): void {
  expect(r.status).toBe(status);
  expect(r.body.error.message).toEqual(expect.any(String));
  expect(Array.isArray(r.body.error.details)).toBe(true);
  expect(r.body.request_id).toBe(r.headers.get('x-request-id'));
  if (code) expect(r.body.error.code).toBe(code);
}

describe('contract and operations routes', () => {
  it('serves the OpenAPI document at /openapi.json', async () => {
    const r = await http(s.url, 'GET', '/openapi.json');
    expect(r.status).toBe(200);
    expect(r.body).toEqual(openApiDocument);
  });

  it('serves a readable, self-contained /docs page', async () => {
    const r = await http(s.url, 'GET', '/docs');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/text\/html/);
    expect(r.text).toContain('POST</span>/api/v1/evaluations');
    expect(r.text).not.toMatch(/<script|<link /);
  });

  it('answers public health with the status only: no path, URL or component detail', async () => {
    const r = await http(s.url, 'GET', '/api/v1/health');
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.body).toEqual({ status: 'ok' });
    expect(r.text).not.toContain(s.dir);
    const bad = await http(s.url, 'GET', '/api/v1/health?details=yes');
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].pointer).toBe('/details');
  });

  it('reports health with every component when asked for details', async () => {
    const r = await http(s.url, 'GET', '/api/v1/health?details=true');
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('ok');
    expect(Object.keys(r.body.components)).toEqual(
      expect.arrayContaining(['store', 'tracker', 'provider:lm_evaluation_harness', 'provider:ragas']),
    );
    expect(r.body.components.store.name).toBe('sqlite');
  });

  it('lists providers, one provider, and benchmarks with filters', async () => {
    const providers = await http(s.url, 'GET', '/api/v1/providers');
    expect(providers.body.items.map((p: { id: string }) => p.id)).toEqual([
      'lm_evaluation_harness',
      'ragas',
      'scripted',
    ]);
    const one = await http(s.url, 'GET', '/api/v1/providers/ragas');
    expect(one.body.benchmarks.map((b: { id: string }) => b.id)).toEqual([
      'faithfulness',
      'answer_relevancy',
    ]);
    const missing = await http(s.url, 'GET', '/api/v1/providers/helm');
    expectErrorBody(missing, 404, 'provider_not_found');
    expect(missing.body.error.message).toContain('lm_evaluation_harness, ragas, scripted');
    const all = await http(s.url, 'GET', '/api/v1/benchmarks');
    expect(all.body.items.length).toBe(11);
    const rag = await http(s.url, 'GET', '/api/v1/benchmarks?category=rag');
    expect(rag.body.items.map((b: { id: string }) => b.id)).toEqual(['faithfulness', 'answer_relevancy']);
    const lm = await http(
      s.url,
      'GET',
      '/api/v1/benchmarks?provider=lm_evaluation_harness&category=reasoning',
    );
    expect(lm.body.items.map((b: { id: string; provider_id: string }) => `${b.provider_id}/${b.id}`)).toEqual(
      ['lm_evaluation_harness/arc_easy', 'lm_evaluation_harness/arc_challenge'],
    );
  });
});

describe("the spec's payloads", () => {
  it('runs the single-benchmark payload verbatim, resolving the vllm server from config', async () => {
    const r = await http(s.url, 'POST', '/api/v1/evaluations', {
      body: fixture('spec-single-benchmark.json'),
      headers: { 'content-type': 'application/json' },
    });
    expect(r.status).toBe(202);
    expect(r.headers.get('location')).toBe(`/api/v1/evaluations/${r.body.id}`);
    expect(r.body.model).toEqual({
      server: 'vllm',
      name: 'meta-llama/llama-3.1-8b',
      url: 'http://127.0.0.1:9/v1',
      configuration: { temperature: 0.1, max_tokens: 512 },
    });
    expect(r.body.experiment).toEqual({
      name: 'arc-easy-evaluation',
      tags: { environment: 'testing', model_family: 'llama-3.1' },
    });
    await s.hub.service.wait(r.body.id);
    const done = await http<Evaluation>(s.url, 'GET', r.headers.get('location')!);
    expect(done.body.status).toBe('completed');
    expect(done.body.benchmarks[0]).toMatchObject({
      benchmark_id: 'arc_easy',
      provider_id: 'lm_evaluation_harness',
      config: { num_fewshot: 0 },
      status: 'completed',
    });
    expect(done.body.benchmarks[0]!.results!.metrics).toEqual({ score: 1 });
  });

  it('runs the multi-provider payload verbatim', async () => {
    const r = await http(s.url, 'POST', '/api/v1/evaluations', {
      body: fixture('spec-multi-provider.json'),
      headers: { 'content-type': 'application/json' },
    });
    expect(r.status).toBe(202);
    const done = await s.hub.service.wait(r.body.id);
    expect(done.status).toBe('completed');
    expect(done.benchmarks.map((b) => `${b.provider_id}/${b.benchmark_id}:${b.status}`)).toEqual([
      'lm_evaluation_harness/arc_easy:completed',
      'ragas/faithfulness:completed',
    ]);
    expect(done.benchmarks[1]!.config).toEqual({ dataset_path: './data/test.jsonl' });
  });

  it('accepts the CI/CD curl command verbatim (only the host changed)', async () => {
    const command = fixture('spec-ci-curl.sh').replace('http://eval-hub:8000', s.url);
    const { stdout } = await promisify(execFile)('bash', ['-c', command], {
      env: { ...process.env, BUILD_ID: '4711', GIT_BRANCH: 'main', GIT_COMMIT: 'abc123' },
    });
    const created = JSON.parse(stdout) as Evaluation;
    expect(created.experiment).toEqual({
      name: 'ci-evaluation-4711',
      tags: { build_id: '4711', branch: 'main', commit: 'abc123' },
    });
    expect(created.model.name).toBe('my-model:v1.0');
    expect((await s.hub.service.wait(created.id)).status).toBe('completed');
  });

  it('answers the collection payload without collection_id with a 400 saying how to choose one', async () => {
    const r = await http(s.url, 'POST', '/api/v1/evaluations', {
      body: fixture('spec-collection.json'),
      headers: { 'content-type': 'application/json' },
    });
    expectErrorBody(r, 400, 'nothing_to_evaluate');
    expect(r.body.error.message).toContain("'collection_id'");
    expect(r.body.error.message).toContain('GET /api/v1/collections');
  });

  it('runs the collection payload once a collection_id is added', async () => {
    const body = { ...JSON.parse(fixture('spec-collection.json')), collection_id: 'healthcare' };
    const created = await submit(body);
    expect(created.collection_id).toBe('healthcare');
    expect(created.benchmarks.map((b) => b.benchmark_id)).toEqual(['arc_easy', 'faithfulness']);
    expect((await s.hub.service.wait(created.id)).status).toBe('completed');
    const unknown = await http(s.url, 'POST', '/api/v1/evaluations', {
      json: { ...body, collection_id: 'cardiology' },
    });
    expectErrorBody(unknown, 400, 'collection_not_found');
    expect(unknown.body.error.details[0]).toMatchObject({ pointer: '/collection_id' });
    expect(unknown.body.error.details[0].message).toContain('healthcare');
  });
});

describe('errors', () => {
  it('400 with a pointer for an invalid request, naming known providers and benchmarks', async () => {
    const noModel = await http(s.url, 'POST', '/api/v1/evaluations', {
      json: { benchmarks: ok().benchmarks },
    });
    expectErrorBody(noModel, 400, 'validation_failed');
    expect(noModel.body.error.details).toContainEqual({ pointer: '/model', message: "'model' is required." });

    const badProvider = await http(s.url, 'POST', '/api/v1/evaluations', {
      json: {
        model: { server: 'vllm', name: 'm' },
        benchmarks: [{ benchmark_id: 'arc_easy', provider_id: 'helm' }],
      },
    });
    expectErrorBody(badProvider, 400);
    expect(badProvider.body.error.details[0]).toMatchObject({ pointer: '/benchmarks/0/provider_id' });
    expect(badProvider.body.error.details[0].message).toContain('lm_evaluation_harness, ragas, scripted');

    const badBenchmark = await http(s.url, 'POST', '/api/v1/evaluations', {
      json: {
        model: { server: 'vllm', name: 'm' },
        benchmarks: [{ benchmark_id: 'arc_easyy', provider_id: 'lm_evaluation_harness' }],
      },
    });
    expect(badBenchmark.body.error.details[0]).toMatchObject({ pointer: '/benchmarks/0/benchmark_id' });
    expect(badBenchmark.body.error.details[0].message).toContain("'arc_easy'");

    const badServer = await http(s.url, 'POST', '/api/v1/evaluations', {
      json: { ...ok(), model: { server: 'tgi', name: 'm' } },
    });
    expect(badServer.body.error.details[0]).toMatchObject({ pointer: '/model/server' });
  });

  it('400 for malformed JSON, with the position', async () => {
    const r = await http(s.url, 'POST', '/api/v1/evaluations', {
      body: '{\n  "model": {"server": "vllm",\n}',
      headers: { 'content-type': 'application/json' },
    });
    expectErrorBody(r, 400, 'malformed_json');
    expect(r.body.error.message).toContain('line 3, column 1');
  });

  it('400 for invalid query values, with pointers', async () => {
    const r = await http(s.url, 'GET', '/api/v1/evaluations?limit=abc&status=done&tag=novalue');
    expectErrorBody(r, 400, 'invalid_query');
    expect(r.body.error.details.map((d: { pointer: string }) => d.pointer)).toEqual([
      '/limit',
      '/status',
      '/tag',
    ]);
    const logs = await http(s.url, 'GET', `/api/v1/evaluations/x/logs?tail=0`);
    expect(logs.body.error.details[0].pointer).toBe('/tail');
    const cursor = await http(s.url, 'GET', '/api/v1/evaluations?cursor=garbage');
    expectErrorBody(cursor, 400);
    expect(cursor.body.error.details[0].pointer).toBe('/cursor');
  });

  it('404 for unknown evaluations, collections and routes', async () => {
    for (const [method, path] of [
      ['GET', '/api/v1/evaluations/does-not-exist'],
      ['DELETE', '/api/v1/evaluations/does-not-exist'],
      ['GET', '/api/v1/evaluations/does-not-exist/events'],
      ['GET', '/api/v1/evaluations/does-not-exist/logs'],
    ] as const) {
      expectErrorBody(await http(s.url, method, path), 404, 'evaluation_not_found');
    }
    expectErrorBody(await http(s.url, 'GET', '/api/v1/collections/nope'), 404, 'collection_not_found');
    const route = await http(s.url, 'GET', '/api/v2/evaluations');
    expectErrorBody(route, 404, 'route_not_found');
  });

  it('405 with an Allow header for a wrong method on a known route', async () => {
    const r = await http(s.url, 'PATCH', '/api/v1/evaluations', { json: {} });
    expectErrorBody(r, 405, 'method_not_allowed');
    expect(r.headers.get('allow')).toContain('GET');
    expect(r.headers.get('allow')).toContain('POST');
    const put = await http(s.url, 'PUT', '/api/v1/evaluations/abc', { json: {} });
    expectErrorBody(put, 405);
    expect(put.headers.get('allow')).toContain('DELETE');
  });

  it('413 for a body over the limit', async () => {
    const big = JSON.stringify({ ...ok(), padding: 'x'.repeat(1024 * 1024) });
    const r = await http(s.url, 'POST', '/api/v1/evaluations', {
      body: big,
      headers: { 'content-type': 'application/json' },
    });
    expectErrorBody(r, 413, 'payload_too_large');
    expect(r.body.error.message).toContain(String(1024 * 1024));
  });

  it('415 for a body that is not JSON', async () => {
    const r = await http(s.url, 'POST', '/api/v1/evaluations', {
      body: 'model=x',
      headers: { 'content-type': 'text/plain' },
    });
    expectErrorBody(r, 415, 'unsupported_media_type');
    const collection = await http(s.url, 'POST', '/api/v1/collections', {
      body: '<x/>',
      headers: { 'content-type': 'application/xml' },
    });
    expectErrorBody(collection, 415);
  });

  it('409 when cancelling a finished evaluation', async () => {
    const e = await submit(ok());
    await s.hub.service.wait(e.id);
    const r = await http(s.url, 'DELETE', `/api/v1/evaluations/${e.id}`);
    expectErrorBody(r, 409, 'evaluation_finished');
  });

  it('honours X-Request-Id and logs it on the request line; every response carries one', async () => {
    const r = await http(s.url, 'GET', '/api/v1/evaluations/nope', {
      headers: { 'x-request-id': 'ci-job-42' },
    });
    expect(r.headers.get('x-request-id')).toBe('ci-job-42');
    expect(r.body.request_id).toBe('ci-job-42');
    const line = s.logs.lines.find((l) => l.request_id === 'ci-job-42' && l.msg === 'request');
    expect(line).toMatchObject({ method: 'GET', status: 404, route: '/api/v1/evaluations/:id' });
    const generated = await http(s.url, 'GET', '/api/v1/providers', {
      headers: { 'x-request-id': 'bad id with spaces' },
    });
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('evaluations', () => {
  it('lists newest first with stable cursor and offset pagination, and filters', async () => {
    const tagged: Evaluation[] = [];
    for (let i = 0; i < 5; i++) {
      tagged.push(
        await submit({
          model: { server: 'vllm', name: i % 2 ? 'odd-model' : 'even-model' },
          benchmarks: [
            { benchmark_id: i === 4 ? 'faithfulness' : 'ok', provider_id: i === 4 ? 'ragas' : 'scripted' },
          ],
          experiment: { name: 'pagination', tags: { batch: 'p1', index: String(i) } },
        }),
      );
    }
    await Promise.all(tagged.map((e) => s.hub.service.wait(e.id)));
    const newestFirst = tagged.map((e) => e.id).reverse();

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await http(
        s.url,
        'GET',
        `/api/v1/evaluations?experiment=pagination&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.status).toBe(200);
      expect(page.body.total).toBe(5);
      seen.push(...page.body.items.map((e: Evaluation) => e.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual(newestFirst);

    const offset = await http(s.url, 'GET', '/api/v1/evaluations?experiment=pagination&limit=2&offset=2');
    expect(offset.body.items.map((e: Evaluation) => e.id)).toEqual(newestFirst.slice(2, 4));

    const byModel = await http(s.url, 'GET', '/api/v1/evaluations?experiment=pagination&model=odd-model');
    expect(byModel.body.items.map((e: Evaluation) => e.id)).toEqual([tagged[3]!.id, tagged[1]!.id]);
    const byProvider = await http(s.url, 'GET', '/api/v1/evaluations?provider=ragas&experiment=pagination');
    expect(byProvider.body.items.map((e: Evaluation) => e.id)).toEqual([tagged[4]!.id]);
    const byTags = await http(s.url, 'GET', '/api/v1/evaluations?tag=batch:p1&tag=index:2');
    expect(byTags.body.items.map((e: Evaluation) => e.id)).toEqual([tagged[2]!.id]);
    const byStatus = await http(
      s.url,
      'GET',
      '/api/v1/evaluations?status=completed&experiment=pagination&limit=500',
    );
    expect(byStatus.body.total).toBe(5);
    const none = await http(s.url, 'GET', '/api/v1/evaluations?status=running&experiment=pagination');
    expect(none.body).toEqual({ items: [], total: 0 });
    // Found by API fuzzing: a tag key holding U+0000 failed the SQLite query (500) once rows existed.
    for (const query of ['tag=a%00b:x&tag=batch:p1', 'tag=batch:p1%00', 'model=m%00']) {
      const nul = await http(s.url, 'GET', `/api/v1/evaluations?${query}`);
      expect([query, nul.status, nul.body]).toEqual([query, 200, { items: [], total: 0 }]);
    }
  });

  it('Idempotency-Key: a retry returns the first evaluation with 200 and starts nothing new', async () => {
    const body = { ...ok(), experiment: { name: 'idempotency' } };
    const first = await http<Evaluation>(s.url, 'POST', '/api/v1/evaluations', {
      json: body,
      headers: { 'idempotency-key': 'build-99' },
    });
    const again = await http<Evaluation>(s.url, 'POST', '/api/v1/evaluations', {
      json: body,
      headers: { 'idempotency-key': 'build-99' },
    });
    expect(first.status).toBe(202);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers.get('location')).toBe(`/api/v1/evaluations/${first.body.id}`);
    const other = await http<Evaluation>(s.url, 'POST', '/api/v1/evaluations', {
      json: body,
      headers: { 'idempotency-key': 'build-100' },
    });
    expect(other.status).toBe(202);
    expect(other.body.id).not.toBe(first.body.id);
    await Promise.all([s.hub.service.wait(first.body.id), s.hub.service.wait(other.body.id)]);
    const list = await http(s.url, 'GET', '/api/v1/evaluations?experiment=idempotency');
    expect(list.body.total).toBe(2);
    const tooLong = await http(s.url, 'POST', '/api/v1/evaluations', {
      json: body,
      headers: { 'idempotency-key': 'k'.repeat(256) },
    });
    expectErrorBody(tooLong, 400, 'invalid_header');
  });

  it('streams events over SSE (id = seq, event = type) until the result, and resumes after Last-Event-ID', async () => {
    const e = await submit(ok({ steps: 3, durationMs: 200 }, 'slow'));
    const stream = await readEvents(s.url, e.id);
    expect(stream.status).toBe(200);
    expect(stream.contentType).toMatch(/^text\/event-stream/);
    const { events } = stream;
    expect(events.map((ev) => ev.id)).toEqual(events.map((ev) => ev.data.seq));
    expect(events.map((ev) => ev.id)).toEqual([...events.map((ev) => ev.id)].sort((a, b) => a - b));
    for (const ev of events) expect(ev.event).toBe(ev.data.type);
    expect(events.map((ev) => ev.event)).toEqual(
      expect.arrayContaining(['status', 'benchmark_status', 'progress', 'log', 'result']),
    );
    expect(events.filter((ev) => ev.event === 'log').map((ev) => ev.data.line)).toEqual([
      'step 1/3',
      'step 2/3',
      'step 3/3',
    ]);
    const last = events.at(-1)!;
    expect(last.event).toBe('result');
    expect(last.data.evaluation.status).toBe('completed');

    const from = events[3]!.id;
    const resumed = await readEvents(s.url, e.id, { 'last-event-id': String(from) });
    expect(resumed.events.map((ev) => ev.id)).toEqual(events.filter((ev) => ev.id > from).map((ev) => ev.id));

    const bad = await http(s.url, 'GET', `/api/v1/evaluations/${e.id}/events`, {
      headers: { 'last-event-id': 'yesterday' },
    });
    expectErrorBody(bad, 400, 'invalid_header');
  });

  it('sends heartbeat comments on a quiet stream and stops streaming when the client goes away', async () => {
    const hb = await testServer({ heartbeatMs: 50 });
    try {
      const e = (
        await http<Evaluation>(hb.url, 'POST', '/api/v1/evaluations', {
          json: ok({ durationMs: 60_000 }, 'slow'),
        })
      ).body;
      const controller = new AbortController();
      const res = await fetch(`${hb.url}/api/v1/evaluations/${e.id}/events`, { signal: controller.signal });
      const reader = res.body!.getReader();
      let text = '';
      while (!text.includes(': heartbeat')) text += new TextDecoder().decode((await reader.read()).value);
      controller.abort();
      // The server sees the disconnect and ends the request (logged with its status).
      await expect
        .poll(
          () =>
            hb.logs.lines.some((l) => l.msg === 'request' && l.route === '/api/v1/evaluations/:id/events'),
          { timeout: 10_000 },
        )
        .toBe(true);
      await http(hb.url, 'DELETE', `/api/v1/evaluations/${e.id}`);
    } finally {
      await hb.stop();
    }
  });

  it('a finished evaluation streams its result at once', async () => {
    const e = await submit(ok());
    await s.hub.service.wait(e.id);
    const { events } = await readEvents(s.url, e.id);
    expect(events.at(-1)!.event).toBe('result');
    expect(events.at(-1)!.data.evaluation.id).toBe(e.id);
  });

  it('cancels a running evaluation', async () => {
    const e = await submit({
      model: { server: 'vllm', name: 'm' },
      benchmarks: [
        { benchmark_id: 'command', provider_id: 'scripted', config: { command: ['sleep', '60'] } },
      ],
    });
    // Wait (on its event stream) until the benchmark runs.
    const res = await fetch(`${s.url}/api/v1/evaluations/${e.id}/events`);
    const reader = res.body!.getReader();
    let text = '';
    while (!/"status":"running","seq"/.test(text) || !text.includes('benchmark_status'))
      text += new TextDecoder().decode((await reader.read()).value);
    const started = Date.now();
    const r = await http<Evaluation>(s.url, 'DELETE', `/api/v1/evaluations/${e.id}`);
    expect(r.status).toBe(200);
    const final = await s.hub.service.wait(e.id);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(final.status).toBe('cancelled');
    expect(final.benchmarks[0]!.status).toBe('cancelled');
    // The open stream ends with the result.
    while (!text.includes('event: result')) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += new TextDecoder().decode(chunk.value);
    }
    expect(text).toContain('event: result');
    expectErrorBody(await http(s.url, 'DELETE', `/api/v1/evaluations/${e.id}`), 409);
  });

  it('returns the log tail per benchmark', async () => {
    const e = await submit({
      model: { server: 'vllm', name: 'm' },
      benchmarks: [
        {
          benchmark_id: 'ok',
          provider_id: 'scripted',
          config: { command: ['sh', '-c', 'for i in 1 2 3 4; do echo "step $i/4"; done'] },
        },
        {
          benchmark_id: 'ok2',
          provider_id: 'scripted',
          config: { command: ['sh', '-c', 'echo "step 1/1"'] },
        },
      ],
    });
    await s.hub.service.wait(e.id);
    const all = await http(s.url, 'GET', `/api/v1/evaluations/${e.id}/logs`);
    expect(all.status).toBe(200);
    expect(all.body.benchmarks.map((b: { benchmark_id: string }) => b.benchmark_id)).toEqual(['ok', 'ok2']);
    expect(all.body.benchmarks[0].lines.join('\n')).toContain('step 4/4');
    const tail = await http(s.url, 'GET', `/api/v1/evaluations/${e.id}/logs?benchmark=ok&tail=1`);
    expect(tail.body.benchmarks).toHaveLength(1);
    expect(tail.body.benchmarks[0].lines).toHaveLength(1);
    expect(tail.body.benchmarks[0].lines[0]).toContain('step 4/4');
    expectErrorBody(await http(s.url, 'GET', `/api/v1/evaluations/${e.id}/logs?benchmark=nope`), 404);
  });

  it('reports a failing benchmark in the evaluation, not as an HTTP error', async () => {
    const e = await submit({
      model: { server: 'vllm', name: 'm' },
      benchmarks: [
        { benchmark_id: 'ok', provider_id: 'scripted' },
        { benchmark_id: 'fail', provider_id: 'scripted', config: { fail: 'boom' } },
      ],
    });
    const final = await s.hub.service.wait(e.id);
    expect(final.status).toBe('partially_failed');
    const r = await http<Evaluation>(s.url, 'GET', `/api/v1/evaluations/${e.id}`);
    expect(r.body.benchmarks[1]!.error!.message).toBe('boom');
  });
});

describe('collections', () => {
  it('creates a collection once when the same POST arrives 20 times at once: one 201, the others 409', async () => {
    const input = {
      id: 'raced',
      name: 'Raced',
      benchmarks: [{ benchmark_id: 'ok', provider_id: 'scripted' }],
    };
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, n) =>
        http(s.url, 'POST', '/api/v1/collections', { json: { ...input, name: `Raced ${n}` } }),
      ),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([201, ...Array<number>(19).fill(409)]);
    const winner = answers.find((a) => a.status === 201)!.body.name as string;
    expect((await http(s.url, 'GET', '/api/v1/collections/raced')).body.name).toBe(winner);
    expect((await http(s.url, 'DELETE', '/api/v1/collections/raced')).status).toBe(204);
  });

  it('creates, reads, replaces and deletes user collections; built-in ones are read-only', async () => {
    const list = await http(s.url, 'GET', '/api/v1/collections');
    expect(list.body.items[0]).toMatchObject({
      id: 'healthcare',
      builtin: true,
      benchmarks: HEALTHCARE_COLLECTION.benchmarks,
    });
    const input = {
      id: 'nightly',
      name: 'Nightly',
      benchmarks: [{ benchmark_id: 'ok', provider_id: 'scripted' }],
    };
    const created = await http(s.url, 'POST', '/api/v1/collections', { json: input });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/api/v1/collections/nightly');
    expect(created.body).toMatchObject({ ...input, builtin: false });
    expectErrorBody(
      await http(s.url, 'POST', '/api/v1/collections', { json: input }),
      409,
      'collection_exists',
    );
    const invalid = await http(s.url, 'POST', '/api/v1/collections', {
      json: { id: 'x y', name: '', benchmarks: [] },
    });
    expectErrorBody(invalid, 400);
    expect(invalid.body.error.details.map((d: { pointer: string }) => d.pointer)).toEqual(
      expect.arrayContaining(['/id', '/name', '/benchmarks']),
    );
    expect((await http(s.url, 'GET', '/api/v1/collections/nightly')).body.name).toBe('Nightly');
    const replaced = await http(s.url, 'PUT', '/api/v1/collections/nightly', {
      json: { name: 'Nightly v2', benchmarks: input.benchmarks },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body.name).toBe('Nightly v2');
    expectErrorBody(
      await http(s.url, 'PUT', '/api/v1/collections/healthcare', {
        json: { name: 'x', benchmarks: input.benchmarks },
      }),
      409,
      'collection_read_only',
    );
    expectErrorBody(
      await http(s.url, 'DELETE', '/api/v1/collections/healthcare'),
      409,
      'collection_read_only',
    );
    expectErrorBody(
      await http(s.url, 'PUT', '/api/v1/collections/ghost', {
        json: { name: 'x', benchmarks: input.benchmarks },
      }),
      404,
    );

    const e = await submit({ model: { server: 'vllm', name: 'm' }, collection_id: 'nightly' });
    expect((await s.hub.service.wait(e.id)).status).toBe('completed');

    const deleted = await http(s.url, 'DELETE', '/api/v1/collections/nightly');
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expectErrorBody(await http(s.url, 'DELETE', '/api/v1/collections/nightly'), 404);
  });
});

describe('metrics', () => {
  it('exposes request, evaluation, benchmark and tracking metrics in Prometheus format', async () => {
    const e = await submit(ok());
    await s.hub.service.wait(e.id);
    const r = await http(s.url, 'GET', '/metrics');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(r.text).toMatch(
      /evalhub_http_requests_total\{method="POST",route="\/api\/v1\/evaluations",status="202"\} \d+/,
    );
    expect(r.text).toMatch(
      /evalhub_http_request_duration_seconds_bucket\{le="0.1",method="GET",route="\/api\/v1\/evaluations\/:id"\} \d+/,
    );
    const completed = Number(/evalhub_evaluations\{status="completed"\} (\d+)/.exec(r.text)![1]);
    expect(completed).toBe((await s.hub.service.list({ limit: 1, status: 'completed' })).total);
    expect(
      Number(
        /evalhub_benchmark_duration_seconds_count\{provider="scripted",status="completed"\} (\d+)/.exec(
          r.text,
        )![1],
      ),
    ).toBeGreaterThan(0);
    expect(r.text).toMatch(/evalhub_tracking_queue_depth 0/);
  });

  it('exports the event-loop delay since the previous scrape (p50, p99, max)', async () => {
    // Block the loop for a known time: the next scrape must report at least that as its maximum.
    await http(s.url, 'GET', '/metrics');
    // A scrape resets the sampler, whose next tick (every 5 ms) only notes the time: a stall before
    // that tick is not measured (CI saw a maximum of 0). A 20 ms timer fires after that tick.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const until = performance.now() + 60;
    while (performance.now() < until);
    // The sampler notes the stall at its next tick, in the next timers phase. On a kept-alive
    // connection the scrape could be read in this iteration's poll phase, before that tick (CI saw
    // a maximum under 50 ms): a 1 ms timer runs in that same timers phase, so the request below is
    // read only after the sampler has recorded the stall.
    await new Promise((resolve) => setTimeout(resolve, 1));
    const r = await http(s.url, 'GET', '/metrics');
    const at = (q: string): number =>
      Number(
        new RegExp(`evalhub_event_loop_delay_seconds\\{quantile="${q}"\\} ([0-9.e-]+)`).exec(r.text)![1],
      );
    expect(at('1')).toBeGreaterThanOrEqual(0.05);
    expect(at('0.99')).toBeLessThanOrEqual(at('1'));
    expect(at('0.5')).toBeLessThanOrEqual(at('0.99'));
  });
});
