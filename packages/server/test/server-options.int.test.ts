import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { definePlugin, type Evaluation } from '@evalhub/core';
import { afterEach, describe, expect, it } from 'vitest';
import { http, testServer, type TestServer } from './support/harness.js';

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});
async function start(...args: Parameters<typeof testServer>): Promise<TestServer> {
  const s = await testServer(...args);
  servers.push(s);
  return s;
}

const KEY = 'test-key-0123456789abcdef';
const request = {
  model: { server: 'vllm', name: 'm' },
  benchmarks: [{ benchmark_id: 'ok', provider_id: 'scripted' }],
};

describe('API keys', () => {
  it('require a key on every route but health and metrics; never log it', async () => {
    const s = await start({ config: { server: { api_keys: [KEY] } } });
    for (const [method, path] of [
      ['GET', '/api/v1/evaluations'],
      ['POST', '/api/v1/evaluations'],
      ['GET', '/api/v1/providers'],
      ['GET', '/api/v1/collections'],
      ['GET', '/openapi.json'],
      ['GET', '/docs'],
    ] as const) {
      const r = await http(s.url, method, path, method === 'POST' ? { json: request } : {});
      expect(r.status, `${method} ${path}`).toBe(401);
      expect(r.body.error.code).toBe('unauthorized');
      expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
    const wrong = await http(s.url, 'GET', '/api/v1/providers', {
      headers: { authorization: 'Bearer not-the-key-000000000' },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.message).toMatch(/not valid/);

    const health = await http(s.url, 'GET', '/api/v1/health');
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'ok' });
    const details = await http(s.url, 'GET', '/api/v1/health?details=true');
    expect(details.status).toBe(401);
    expect(details.body.error.code).toBe('unauthorized');
    const withKey = await http(s.url, 'GET', '/api/v1/health?details=true', {
      headers: { authorization: `Bearer ${KEY}` },
    });
    expect(withKey.status).toBe(200);
    expect(withKey.body.components.store.name).toBe('sqlite');
    expect((await http(s.url, 'GET', '/metrics')).status).toBe(200);
    const bearer = await http(s.url, 'POST', '/api/v1/evaluations', {
      json: request,
      headers: { authorization: `Bearer ${KEY}` },
    });
    expect(bearer.status).toBe(202);
    expect(
      (await http(s.url, 'GET', `/api/v1/evaluations/${bearer.body.id}`, { headers: { 'x-api-key': KEY } }))
        .status,
    ).toBe(200);
    await s.hub.service.wait(bearer.body.id);
    expect(s.logs.raw.length).toBeGreaterThan(5);
    expect(s.logs.raw.join('\n')).not.toContain(KEY);
  });
});

describe('CORS', () => {
  it('is off by default', async () => {
    const s = await start();
    const r = await http(s.url, 'GET', '/api/v1/providers', { headers: { origin: 'https://ui.example' } });
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('allows the configured origins only, and answers preflights before auth', async () => {
    const s = await start({ config: { server: { cors_origins: ['https://ui.example'], api_keys: [KEY] } } });
    const preflight = await http(s.url, 'OPTIONS', '/api/v1/evaluations', {
      headers: {
        origin: 'https://ui.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,authorization',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://ui.example');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('Idempotency-Key');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('DELETE');
    const r = await http(s.url, 'GET', '/api/v1/providers', {
      headers: { origin: 'https://ui.example', 'x-api-key': KEY },
    });
    expect(r.status).toBe(200);
    expect(r.headers.get('access-control-allow-origin')).toBe('https://ui.example');
    expect(r.headers.get('access-control-expose-headers')).toContain('Location');
    const other = await http(s.url, 'GET', '/api/v1/providers', {
      headers: { origin: 'https://evil.example', 'x-api-key': KEY },
    });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('body limit', () => {
  it('follows server.body_limit_bytes', async () => {
    const s = await start({ config: { server: { body_limit_bytes: 2048 } } });
    const body = { ...request, experiment: { name: 'x', tags: { pad: 'y'.repeat(2100) } } };
    const r = await http(s.url, 'POST', '/api/v1/evaluations', { json: body });
    expect(r.status).toBe(413);
    expect(r.body.error.message).toContain('2048');
    // Chunked upload without Content-Length is cut off while reading.
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode(JSON.stringify(body)));
        c.close();
      },
    });
    const res = await fetch(`${s.url}/api/v1/evaluations`, {
      method: 'POST',
      body: stream,
      headers: { 'content-type': 'application/json' },
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
  });
});

describe('queue bound', () => {
  it('answers 429 with Retry-After once evaluation.max_queued_evaluations wait, and stores nothing', async () => {
    const s = await start({
      config: { evaluation: { max_concurrent_evaluations: 1, max_queued_evaluations: 1 } },
    });
    const slow = {
      model: { server: 'vllm', name: 'm' },
      benchmarks: [{ benchmark_id: 'slow', provider_id: 'scripted', config: { durationMs: 60_000 } }],
    };
    const running = await http(s.url, 'POST', '/api/v1/evaluations', { json: slow });
    const queued = await http(s.url, 'POST', '/api/v1/evaluations', { json: slow });
    expect([running.status, queued.status]).toEqual([202, 202]);

    const refused = await http(s.url, 'POST', '/api/v1/evaluations', {
      json: slow,
      headers: { 'idempotency-key': 'ci-job-7' },
    });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(refused.body.error.code).toBe('queue_full');
    expect(refused.body.error.message).toMatch(/max_queued_evaluations/);
    expect(refused.body.request_id).toEqual(expect.any(String));
    expect((await http(s.url, 'GET', '/api/v1/evaluations')).body.total).toBe(2);

    // Room again: the same request and key are accepted as a new evaluation.
    await http(s.url, 'DELETE', `/api/v1/evaluations/${queued.body.id}`);
    const retried = await http(s.url, 'POST', '/api/v1/evaluations', {
      json: slow,
      headers: { 'idempotency-key': 'ci-job-7' },
    });
    expect(retried.status).toBe(202);
    await http(s.url, 'DELETE', `/api/v1/evaluations/${running.body.id}`);
    await http(s.url, 'DELETE', `/api/v1/evaluations/${retried.body.id}`);
  });
});

describe('plugin HTTP handlers', () => {
  it('are mounted by prefix and own the response', async () => {
    const echo = definePlugin({
      name: 'echo-plugin',
      kind: 'provider',
      apiVersion: 1,
      register(ctx) {
        ctx.addHttpHandler({
          prefix: '/echo',
          description: 'Echoes the request',
          async handle(req, res, context) {
            res.writeHead(201, { 'content-type': 'application/json' });
            res.end(
              JSON.stringify({
                method: req.method,
                url: req.url,
                path: context.path,
                requestId: context.requestId,
              }),
            );
          },
        });
      },
    });
    const s = await start({ hubOptions: { plugins: [echo] } });
    const r = await http(s.url, 'POST', '/echo/api/2.0/mlflow/runs/get?run_id=1', {
      headers: { 'x-request-id': 'rid-1' },
      body: 'x',
    });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({
      method: 'POST',
      url: '/echo/api/2.0/mlflow/runs/get?run_id=1',
      path: '/api/2.0/mlflow/runs/get',
      requestId: 'rid-1',
    });
    expect((await http(s.url, 'GET', '/echo')).body.path).toBe('/');
    expect((await http(s.url, 'GET', '/echoes')).status).toBe(404);
    const metrics = await http(s.url, 'GET', '/metrics');
    expect(metrics.text).toContain('route="/echo/*",status="201"');
  });
});

describe('restart', () => {
  it('a running evaluation interrupted by shutdown completes after a new hub starts on the same SQLite file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evalhub-restart-'));
    const first = await testServer({ dir });
    const body = {
      model: { server: 'vllm', name: 'm' },
      benchmarks: [
        { benchmark_id: 'ok', provider_id: 'scripted' },
        { benchmark_id: 'slow', provider_id: 'scripted', config: { durationMs: 1500 } },
      ],
    };
    const e = (await http<Evaluation>(first.url, 'POST', '/api/v1/evaluations', { json: body })).body;
    // Wait until the slow benchmark runs (its status, from the API).
    await expect
      .poll(
        async () =>
          (await http<Evaluation>(first.url, 'GET', `/api/v1/evaluations/${e.id}`)).body.benchmarks
            .map((b) => b.status)
            .join(),
        {
          timeout: 30_000,
          interval: 50,
        },
      )
      .toBe('completed,running');
    await first.stop();

    const second = await start({ dir });
    expect(second.hub.store.name).toBe('sqlite');
    const resumed = await http<Evaluation>(second.url, 'GET', `/api/v1/evaluations/${e.id}`);
    expect(resumed.status).toBe(200);
    expect(['pending', 'running']).toContain(resumed.body.status);
    const final = await second.hub.service.wait(e.id);
    expect(final.status).toBe('completed');
    expect(final.benchmarks[0]!.attempts).toBe(1);
    // The start that the graceful shutdown interrupted is not counted (issue: rolling restarts).
    expect(final.benchmarks[1]!.attempts).toBe(1);
    expect(final.benchmarks.map((b) => b.status)).toEqual(['completed', 'completed']);
  });

  it('close() ends open event streams and stops accepting connections', async () => {
    const s = await testServer();
    const e = (
      await http<Evaluation>(s.url, 'POST', '/api/v1/evaluations', {
        json: {
          ...request,
          benchmarks: [{ benchmark_id: 'slow', provider_id: 'scripted', config: { durationMs: 60_000 } }],
        },
      })
    ).body;
    const res = await fetch(`${s.url}/api/v1/evaluations/${e.id}/events`);
    const text = res.text();
    await s.stop();
    await expect(text).resolves.toContain('event: status');
    await expect(fetch(`${s.url}/api/v1/health`)).rejects.toThrow();
  });
});

describe('failures on the hub side', () => {
  it('health is 503 when the store is down; other requests get a generic 500 that is logged with the request id', async () => {
    const s = await start();
    await s.hub.store.close();
    const health = await http(s.url, 'GET', '/api/v1/health?details=true');
    expect(health.status).toBe(503);
    expect(health.body.status).toBe('down');
    expect(health.body.components.store.status).toBe('down');

    const r = await http(s.url, 'GET', '/api/v1/evaluations/some-id', {
      headers: { 'x-request-id': 'broken-store-1' },
    });
    expect(r.status).toBe(500);
    expect(r.body.error.code).toBe('internal_error');
    expect(r.body.error.message).toContain('broken-store-1');
    expect(r.body.error.message).not.toMatch(/database|sqlite/i);
    const logged = s.logs.lines.find((l) => l.request_id === 'broken-store-1' && l.level === 50);
    expect(logged).toBeDefined();
    expect(JSON.stringify(logged)).toMatch(/database/i);
  });
});
