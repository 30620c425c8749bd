/**
 * The model gateway's cache, credentials and failure handling over real HTTP on loopback, in front
 * of the fixture model server (the stand-in for a vLLM: `capacity=C` serves C requests in parallel
 * at a fixed latency, the rest wait, `queue=0` refuses them with 429/503). Engines are played by
 * plain HTTP clients with a fixed concurrency.
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CACHE_HEADER, PROBE_HEADER } from '../src/index.js';
import { capacityStats, fixture, gateway, llBody, post, servers, tmp, unique } from './gateway-support.js';

describe('model gateway: response cache', () => {
  it('answers an identical request from the cache without asking the server, and misses on a changed setting', async () => {
    const key = unique();
    const url = `${fixture}/_/capacity=100+key=${key}/v1`;
    const gw = gateway({ cache: { file: join(tmp, 'cache', 'gateway-cache.db') } });
    const route = await gw.route({
      evaluationId: 'e',
      benchmarkId: 'b',
      model: { server: 'fx', url },
      cache: true,
    });
    const served = async (): Promise<number> => (await capacityStats(key))['served'] ?? 0;

    const first = await post(`${route.baseUrl}/completions`, llBody(1));
    expect(first.headers.get(CACHE_HEADER)).toBe('miss');
    const firstBytes = Buffer.from(await first.arrayBuffer());
    expect(await served()).toBe(1);

    const second = await post(`${route.baseUrl}/completions`, llBody(1));
    expect(second.status).toBe(200);
    expect(second.headers.get(CACHE_HEADER)).toBe('hit');
    expect(Buffer.from(await second.arrayBuffer()).equals(firstBytes)).toBe(true);
    expect(await served()).toBe(1); // no model request sent

    const changed = await post(`${route.baseUrl}/completions`, llBody(1, { max_tokens: 2 }));
    expect(changed.headers.get(CACHE_HEADER)).toBe('miss');
    await changed.arrayBuffer();
    expect(await served()).toBe(2);

    // unseeded sampling is never cached
    const sampling = JSON.stringify({
      model: 'fixture',
      prompt: 'once upon',
      temperature: 0.8,
      max_tokens: 4,
    });
    for (let i = 0; i < 2; i++) {
      const res = await post(`${route.baseUrl}/completions`, sampling);
      expect(res.headers.get(CACHE_HEADER)).toBeNull();
      await res.arrayBuffer();
    }
    expect(await served()).toBe(4);

    // a re-run (a new route) answers from the cache; a route without cache asks the server
    const rerun = await gw.route({
      evaluationId: 'e2',
      benchmarkId: 'b',
      model: { server: 'fx', url },
      cache: true,
    });
    const again = await post(`${rerun.baseUrl}/completions`, llBody(1));
    expect(again.headers.get(CACHE_HEADER)).toBe('hit');
    expect(Buffer.from(await again.arrayBuffer()).equals(firstBytes)).toBe(true);
    const fresh = await gw.route({ evaluationId: 'e3', benchmarkId: 'b', model: { server: 'fx', url } });
    const uncached = await post(`${fresh.baseUrl}/completions`, llBody(1));
    expect(uncached.headers.get(CACHE_HEADER)).toBeNull();
    expect(Buffer.from(await uncached.arrayBuffer()).equals(firstBytes)).toBe(true);
    expect(await served()).toBe(5);

    expect(route.release()).toMatchObject({ requests: 5, cacheHits: 1 });
    expect(rerun.release()).toMatchObject({ requests: 1, cacheHits: 1 });
    expect(fresh.release()).toMatchObject({ requests: 1, cacheHits: 0 });
  });
});

/** A loopback server that records the headers it receives and answers like a model server. */
async function recorder(): Promise<{ url: string; seen: { path: string; headers: IncomingHttpHeaders }[] }> {
  const seen: { path: string; headers: IncomingHttpHeaders }[] = [];
  const server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', headers: req.headers });
    req.resume();
    req.on('end', () => {
      const body = JSON.stringify({
        choices: [{ index: 0, text: 'x' }],
        usage: { prompt_tokens: 3, completion_tokens: 1 },
      });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

describe('model gateway: credentials and failures', () => {
  it('sends an API key only to the server it is configured for', async () => {
    const keyed = await recorder();
    const other = await recorder();
    const gw = gateway({
      servers: {
        secure: { url: `${keyed.url}/v1`, apiKey: 'sk-secret-for-secure' },
        open: { url: `${other.url}/v1` },
      },
    });
    const a = await gw.route({
      evaluationId: 'e',
      benchmarkId: 'b',
      model: { server: 'secure', url: `${keyed.url}/v1` },
    });
    const b = await gw.route({
      evaluationId: 'e',
      benchmarkId: 'c',
      model: { server: 'open', url: `${other.url}/v1` },
    });
    // model.url pointing elsewhere under the keyed server's name: not that server, so no key
    const c = await gw.route({
      evaluationId: 'e',
      benchmarkId: 'd',
      model: { server: 'secure', url: `${other.url}/v1` },
    });
    for (const route of [a, b, c]) {
      const engineHeaders = { authorization: 'Bearer engine-side-key' };
      expect((await post(`${route.baseUrl}/completions`, llBody(1), engineHeaders)).status).toBe(200);
      expect(
        (await post(`${route.baseUrl.replace(/\/v1$/, '')}/tokenize`, '{"prompt":"a"}', engineHeaders))
          .status,
      ).toBe(200);
    }
    expect(keyed.seen.map((s) => s.path)).toEqual(['/v1/completions', '/tokenize']);
    for (const s of keyed.seen) expect(s.headers.authorization).toBe('Bearer sk-secret-for-secure');
    expect(other.seen).toHaveLength(4);
    for (const s of other.seen) expect(s.headers.authorization).toBeUndefined();
    expect(a.release()).toMatchObject({ requests: 1, promptTokens: 3, completionTokens: 1 });
  });

  it('forwards a probe (x-evalhub-probe) with its mark and leaves it out of the perf data', async () => {
    const server = await recorder();
    const gw = gateway();
    const route = await gw.route({
      evaluationId: 'e',
      benchmarkId: 'b',
      model: { server: 'fx', url: `${server.url}/v1` },
    });
    const probe = await post(`${route.baseUrl}/completions`, llBody(1), { [PROBE_HEADER]: 'preflight' });
    expect(probe.status).toBe(200);
    expect((await post(`${route.baseUrl}/completions`, llBody(2))).status).toBe(200);
    expect(server.seen).toHaveLength(2);
    expect(server.seen.map((s) => s.headers[PROBE_HEADER])).toEqual(['preflight', undefined]);
    expect(route.release()).toMatchObject({ requests: 1, errors: 0 });
  });

  it('answers with the server’s own error once retries are exhausted', async () => {
    const gw = gateway({ retry: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 5 } });
    const url = `${fixture}/_/fail-503=50+key=${unique()}/v1`;
    const route = await gw.route({ evaluationId: 'e', benchmarkId: 'b', model: { server: 'fx', url } });
    const res = await post(`${route.baseUrl}/completions`, llBody(1));
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('fixture: injected transient failure 3/50');
    expect(route.release()).toMatchObject({ requests: 1, errors: 1, retries: 2 });
  });

  it('retries through a transient failure and answers 404 after release', async () => {
    const gw = gateway({ retry: { baseDelayMs: 1, maxDelayMs: 5 } });
    const url = `${fixture}/_/fail-503=2+key=${unique()}/v1`;
    const route = await gw.route({ evaluationId: 'e', benchmarkId: 'b', model: { server: 'fx', url } });
    expect((await post(`${route.baseUrl}/completions`, llBody(1))).status).toBe(200);
    expect(route.release()).toMatchObject({ requests: 1, errors: 0, retries: 2 });
    expect((await post(`${route.baseUrl}/completions`, llBody(1))).status).toBe(404);
  });

  it('passes a streamed answer through as it comes', async () => {
    let finish: () => void = () => undefined;
    const server = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"choices":[{"text":"a"}]}\n\n');
      finish = () => res.end('data: [DONE]\n\n');
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    const gw = gateway();
    const route = await gw.route({ evaluationId: 'e', benchmarkId: 'b', model: { server: 's', url } });
    const res = await post(`${route.baseUrl}/completions`, JSON.stringify({ prompt: 'a', stream: true }));
    const reader = res.body!.getReader();
    const first = await reader.read(); // arrives while the server still holds the stream open
    expect(Buffer.from(first.value!).toString()).toContain('"text":"a"');
    finish();
    let rest = '';
    for (let r = await reader.read(); !r.done; r = await reader.read())
      rest += Buffer.from(r.value).toString();
    expect(rest).toContain('[DONE]');
  });
});
