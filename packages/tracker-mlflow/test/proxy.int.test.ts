import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import type { HttpHandler } from '@evalhub/core';
import { faultyNetwork, freePort } from '@evalhub/tools';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MlflowClient } from '../src/index.js';
import { SINGLE_BENCHMARK, evaluateAndSync, startHub, type TestHub } from './harness.js';

const trackingUri = inject('mlflowTrackingUri');
const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
});

/** Serves a hub's HTTP handler on a real port, the way the server mounts it. */
async function serve(handler: HttpHandler): Promise<string> {
  let n = 0;
  const server: Server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (
      url === handler.prefix ||
      url.startsWith(`${handler.prefix}/`) ||
      url.startsWith(`${handler.prefix}?`) ||
      !url.startsWith('/')
    ) {
      void handler.handle(req, res, { requestId: `req-${++n}`, path: url.split('?')[0]! });
    } else res.writeHead(404).end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanup.push(() => new Promise<void>((ok) => server.close(() => ok())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Records the headers MLflow receives (a pass-through in front of the real server). */
async function recorder(): Promise<{ uri: string; seen: IncomingHttpHeaders[] }> {
  const seen: IncomingHttpHeaders[] = [];
  const net = await faultyNetwork(trackingUri, undefined, { onRequest: (h) => seen.push(h) });
  cleanup.push(net.close);
  return { uri: net.uri, seen };
}

/** Sends a raw request line (for request targets undici would never produce). */
async function raw(
  base: string,
  line: string,
  headers = 'Connection: close',
): Promise<{ status: number; body: string; head: string }> {
  const { port } = new URL(base);
  const socket = connect(Number(port), '127.0.0.1');
  await once(socket, 'connect');
  socket.write(`${line}\r\nHost: 127.0.0.1:${port}\r\n${headers}\r\n\r\n`);
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  await once(socket, 'end');
  const text = Buffer.concat(chunks).toString('utf8');
  const end = text.indexOf('\r\n\r\n');
  return {
    status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]),
    head: text.slice(0, end),
    body: text.slice(end + 4),
  };
}

const HUB_TOKEN = 'mlflow-hub-secret-token';
let t: TestHub;
let base: string;
let seen: IncomingHttpHeaders[];
let mlflow: MlflowClient;
let runId: string;
let artifactUri: string;
let experimentId: string;
const big = randomBytes(3 * 1024 * 1024);

beforeAll(async () => {
  const rec = await recorder();
  seen = rec.seen;
  t = await startHub(rec.uri, { token: HUB_TOKEN });
  cleanup.push(() => t.close());
  const handler = t.hub.httpHandlers.find((h) => h.prefix === '/mlflow');
  expect(handler).toBeDefined();
  base = await serve(handler!);
  mlflow = new MlflowClient({ trackingUri });
  cleanup.push(() => mlflow.close());
  const e = await evaluateAndSync(t.hub, {
    ...SINGLE_BENCHMARK,
    experiment: { name: `proxy-${randomUUID().slice(0, 8)}` },
  });
  runId = e.tracking.run_id!;
  experimentId = e.tracking.experiment_id!;
  artifactUri = (await mlflow.getRun(runId)).info.artifact_uri;
  await mlflow.uploadArtifact(artifactUri, 'big/blob.bin', big);
});

function artifactPath(rel: string): string {
  return `/mlflow/api/2.0/mlflow-artifacts/artifacts/${artifactUri.replace(/^mlflow-artifacts:\//, '')}/${rel}`;
}

describe('the /mlflow proxy', () => {
  it('reads experiments, runs, metric history and artifacts with the hub credentials', async () => {
    seen.length = 0;
    const exp = await request(`${base}/mlflow/api/2.0/mlflow/experiments/get?experiment_id=${experimentId}`, {
      headers: {
        authorization: 'Bearer the-clients-own-hub-key',
        cookie: 'session=1',
        origin: 'http://evil.example',
      },
    });
    expect(exp.statusCode).toBe(200);
    expect(exp.headers['x-request-id']).toMatch(/^req-/);
    expect(
      ((await exp.body.json()) as { experiment: { experiment_id: string } }).experiment.experiment_id,
    ).toBe(experimentId);
    // MLflow got the hub's credentials, not the client's; no cookie, no Origin.
    expect(seen.at(-1)?.authorization).toBe(`Bearer ${HUB_TOKEN}`);
    expect(seen.at(-1)?.cookie).toBeUndefined();
    expect(seen.at(-1)?.origin).toBeUndefined();

    const search = await request(`${base}/mlflow/api/2.0/mlflow/runs/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ experiment_ids: [experimentId], max_results: 10 }),
    });
    expect(search.statusCode).toBe(200);
    expect(((await search.body.json()) as { runs: unknown[] }).runs).toHaveLength(1);

    const ajax = await request(`${base}/mlflow/ajax-api/2.0/mlflow/runs/get?run_id=${runId}`);
    expect(ajax.statusCode).toBe(200);
    await ajax.body.dump();

    const history = await request(
      `${base}/mlflow/api/2.0/mlflow/metrics/get-history?run_id=${runId}&metric_key=arc_easy.acc&max_results=100`,
    );
    expect(history.statusCode).toBe(200);
    const h = (await history.body.json()) as { metrics: { value: number }[] };
    expect(h.metrics[0]!.value).toBe(0.7803030303030303);

    const list = await request(`${base}/mlflow/api/2.0/mlflow/artifacts/list?run_id=${runId}`);
    expect(list.statusCode).toBe(200);
    expect(JSON.stringify(await list.body.json())).toContain('summary.json');

    const summary = await request(`${base}${artifactPath('summary.json')}`);
    expect(summary.statusCode).toBe(200);
    expect(JSON.parse(await summary.body.text()).status).toBe('completed');
  });

  it('streams large artifacts unchanged', async () => {
    const res = await request(`${base}${artifactPath('big/blob.bin')}`);
    expect(res.statusCode).toBe(200);
    expect(Buffer.from(await res.body.arrayBuffer()).equals(big)).toBe(true);
  });

  it('strips hop-by-hop headers', async () => {
    seen.length = 0;
    const res = await raw(
      base,
      `GET /mlflow/api/2.0/mlflow/runs/get?run_id=${runId} HTTP/1.1`,
      'Connection: close, x-private-hop\r\nX-Private-Hop: 1\r\nProxy-Authorization: Basic eDp5\r\nTE: trailers\r\nX-Kept: yes',
    );
    expect(res.status).toBe(200);
    const h = seen.at(-1)!;
    expect(h['x-private-hop']).toBeUndefined();
    expect(h['proxy-authorization']).toBeUndefined();
    expect(h.te).toBeUndefined();
    expect(h['x-kept']).toBe('yes');
    expect(res.head.toLowerCase()).not.toContain('keep-alive:');
  });

  it('refuses writes by default with the hub error body', async () => {
    const res = await request(`${base}/mlflow/api/2.0/mlflow/runs/set-tag`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ run_id: runId, key: 'via-proxy', value: 'x' }),
    });
    expect(res.statusCode).toBe(403);
    const body = (await res.body.json()) as {
      error: { code: string; message: string; details: unknown[] };
      request_id: string;
    };
    expect(body.error.code).toBe('mlflow_proxy_forbidden');
    expect(body.error.message).toContain('proxy_allow_writes');
    expect(body.error.details).toEqual([]);
    expect(body.request_id).toMatch(/^req-/);
    for (const [method, path] of [
      ['DELETE', artifactPath('summary.json')],
      ['PUT', artifactPath('evil.txt')],
      ['POST', '/mlflow/api/2.0/mlflow/experiments/delete'],
      ['GET', '/mlflow/static-files/index.html'],
      ['GET', '/mlflow/api/2.0/mlflow/users/get'],
    ] as const) {
      const r = await request(`${base}${path}`, {
        method,
        ...(method === 'GET' || method === 'DELETE' ? {} : { body: '{}' }),
      });
      expect(r.statusCode, `${method} ${path}`).toBe(403);
      await r.body.dump();
    }
    expect(tagsOfRun(await mlflow.getRun(runId))['via-proxy']).toBeUndefined();
    expect((await mlflow.listArtifacts(artifactUri)).map((f) => f.path)).toContain('summary.json');
  });

  it('is never an open relay', async () => {
    for (const line of [
      'GET http://example.com/api/2.0/mlflow/experiments/get?experiment_id=0 HTTP/1.1',
      'GET /mlflow/../api/2.0/mlflow/experiments/get?experiment_id=0 HTTP/1.1',
      'GET /mlflow/api/2.0/mlflow/%2e%2e/%2e%2e/etc/passwd HTTP/1.1',
      'GET /mlflow//example.com/api/2.0/mlflow/experiments/get HTTP/1.1',
      'GET /mlflow/api/2.0/mlflow-artifacts/artifacts/1/../../x HTTP/1.1',
      'GET /mlflow/api/2.0/mlflow-artifacts/artifacts/1/..%2f..%2fx HTTP/1.1',
    ]) {
      const r = await raw(base, line);
      expect([400, 403], line).toContain(r.status);
      expect(JSON.parse(r.body).error.code, line).toMatch(/^mlflow_proxy_/);
    }
  });

  it('forwards writes when proxy_allow_writes is set', async () => {
    const w = await startHub(trackingUri, { proxy_allow_writes: true });
    cleanup.push(() => w.close());
    const wbase = await serve(w.hub.httpHandlers.find((h) => h.prefix === '/mlflow')!);
    const res = await request(`${wbase}/mlflow/api/2.0/mlflow/runs/set-tag`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ run_id: runId, key: 'via-proxy', value: 'written' }),
    });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    expect(tagsOfRun(await mlflow.getRun(runId))['via-proxy']).toBe('written');
    // Still only the MLflow APIs.
    const other = await request(`${wbase}/mlflow/admin/shutdown`, { method: 'POST', body: '{}' });
    expect(other.statusCode).toBe(403);
    await other.body.dump();
  });

  it('answers 502 with the hub error body when MLflow is unreachable', async () => {
    const port = await freePort(); // nothing listens there
    const d = await startHub(`http://127.0.0.1:${port}`, { http_request_max_retries: 0 });
    cleanup.push(() => d.close());
    const dbase = await serve(d.hub.httpHandlers.find((h) => h.prefix === '/mlflow')!);
    const res = await request(`${dbase}/mlflow/api/2.0/mlflow/experiments/get?experiment_id=0`);
    expect(res.statusCode).toBe(502);
    const body = (await res.body.json()) as {
      error: { code: string; message: string; details: unknown[] };
      request_id: string;
    };
    expect(body.error.code).toBe('mlflow_unreachable');
    expect(body.error.message).toContain(`127.0.0.1:${port}`);
    expect(body.error.details).toEqual([]);
    expect(body.request_id).toMatch(/^req-/);
    expect((await d.hub.health()).components.tracker?.status).toBe('down');
  });
});

function tagsOfRun(run: { data: { tags: { key: string; value: string }[] } }): Record<string, string> {
  return Object.fromEntries(run.data.tags.map((x) => [x.key, x.value]));
}
