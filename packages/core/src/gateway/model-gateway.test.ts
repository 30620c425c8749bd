import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelGateway } from './model-gateway.js';

// a loopback stand-in upstream that answers every request with its path
let upstream: Server;
let upstreamUrl: string;
const dir = mkdtempSync(join(tmpdir(), 'evalhub-gateway-unit-'));
beforeAll(async () => {
  upstream = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const body = JSON.stringify({ path: req.url, usage: { prompt_tokens: 2, completion_tokens: 1 } });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => upstream.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe('ModelGateway', () => {
  it('touches no file or port until the first route, and gives routes the server’s path shape', async () => {
    const file = join(dir, 'cache.db');
    const gw = new ModelGateway({ cache: { file } });
    expect(existsSync(file)).toBe(false);
    const route = await gw.route({
      evaluationId: 'e',
      benchmarkId: 'b',
      model: { server: 's', url: `${upstreamUrl}/v1/` },
    });
    expect(existsSync(file)).toBe(true);
    expect(route.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/r\/[0-9a-f]{32}\/v1$/);
    expect(route.server).toBe(`${upstreamUrl}/v1`);
    const res = await fetch(`${route.baseUrl}/completions?x=1`, { method: 'POST', body: '{}' });
    expect(await res.json()).toMatchObject({ path: '/v1/completions?x=1' });
    const tok = await fetch(`${route.baseUrl.replace(/\/v1$/, '')}/tokenize`, { method: 'POST', body: '{}' });
    expect(await tok.json()).toMatchObject({ path: '/tokenize' });
    expect(route.release()).toMatchObject({ requests: 1, promptTokens: 2, completionTokens: 1 });
    await gw.close();
  });

  it('shares one limiter per server base URL and caps it at max_concurrency', async () => {
    const gw = new ModelGateway({
      servers: { s: { url: `${upstreamUrl}/v1`, maxConcurrency: 3 } },
      limit: { initialLimit: 8 },
    });
    const model = { server: 's', url: `${upstreamUrl}/v1` };
    await gw.route({ evaluationId: 'e1', benchmarkId: 'b', model });
    await gw.route({
      evaluationId: 'e2',
      benchmarkId: 'b',
      model: { server: 'other-name', url: `${upstreamUrl}/v1` },
    });
    expect(gw.limiterState(`${upstreamUrl}/v1`)?.limit).toBe(3);
    await gw.close();
    await expect(gw.route({ evaluationId: 'e3', benchmarkId: 'b', model })).rejects.toThrow(/closed/);
  });

  it('starts engines at the cap of their server, so the limiter and not the engine bounds the load', async () => {
    const gw = new ModelGateway({
      servers: { capped: { url: `${upstreamUrl}/capped/v1`, maxConcurrency: 6 } },
    });
    const capped = await gw.route({
      evaluationId: 'e',
      benchmarkId: 'b',
      model: { server: 'capped', url: `${upstreamUrl}/capped/v1` },
    });
    const open = await gw.route({
      evaluationId: 'e',
      benchmarkId: 'c',
      model: { server: 'x', url: `${upstreamUrl}/v1` },
    });
    expect(capped.concurrency).toBe(6);
    // no max_concurrency: the default cap (512), which the adaptive limit may grow to
    expect(open.concurrency).toBe(512);
    capped.release();
    open.release();
    await gw.close();
  });

  it('answers 404 for unknown or released routes and 413 for oversized bodies', async () => {
    const gw = new ModelGateway({ maxBodyBytes: 10 });
    const route = await gw.route({
      evaluationId: 'e',
      benchmarkId: 'b',
      model: { server: 's', url: `${upstreamUrl}/v1` },
    });
    const big = await fetch(`${route.baseUrl}/completions`, { method: 'POST', body: 'x'.repeat(100) });
    expect(big.status).toBe(413);
    const origin = new URL(route.baseUrl).origin;
    expect((await fetch(`${origin}/r/${'0'.repeat(32)}/v1/models`)).status).toBe(404);
    expect((await fetch(`${origin}/elsewhere`)).status).toBe(404);
    route.release();
    expect((await fetch(`${route.baseUrl}/models`)).status).toBe(404);
    await gw.close();
  });
});
