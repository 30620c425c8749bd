import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MlflowClient } from './client.js';
import { MlflowError } from './errors.js';
import { DEFAULT_RETRY_POLICY, backoffDelay, nextDelay, parseRetryAfter } from './retry.js';

describe('retry policy', () => {
  const policy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 100, maxDelayMs: 1000 };
  it('uses full jitter under an exponential ceiling', () => {
    expect(backoffDelay(1, policy, () => 0.999)).toBe(99);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(200);
    expect(backoffDelay(10, policy, () => 0.999)).toBe(999);
    expect(backoffDelay(2, policy, () => 0)).toBe(0);
  });
  it('parses Retry-After seconds and dates', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter('0.5')).toBe(500);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 7_000)).toBe(3000);
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
  it('honours Retry-After up to its cap', () => {
    expect(nextDelay(1, policy, 1500, () => 0)).toBe(1500);
    expect(nextDelay(1, { ...policy, maxRetryAfterMs: 1000 }, 1500)).toBeUndefined();
  });
});

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

// A local HTTP server that plays MLflow's HTTP failure behaviour (unit tests only).
async function serve(handler: Handler): Promise<{
  uri: string;
  server: Server;
  requests: { method: string; url: string; headers: IncomingMessage['headers'] }[];
}> {
  const requests: { method: string; url: string; headers: IncomingMessage['headers'] }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
      handler(req, res, body);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { uri: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, requests };
}

const servers: Server[] = [];
const clients: MlflowClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => new Promise((ok) => s.close(ok))));
});

function client(
  uri: string,
  extra: Partial<ConstructorParameters<typeof MlflowClient>[0]> = {},
  sleeps: number[] = [],
) {
  const c = new MlflowClient(
    { trackingUri: uri, retry: { maxAttempts: 4, baseDelayMs: 5, maxDelayMs: 20 }, ...extra },
    async (ms) => {
      sleeps.push(ms);
      await new Promise((ok) => setTimeout(ok, Math.min(ms, 20)));
    },
  );
  clients.push(c);
  return c;
}

const RUN = {
  info: {
    run_id: 'r1',
    experiment_id: '1',
    status: 'RUNNING',
    start_time: 1,
    artifact_uri: 'mlflow-artifacts:/1/r1/artifacts',
    lifecycle_stage: 'active',
  },
};

describe('MlflowClient retries (local HTTP server)', () => {
  it('retries a 503 and succeeds on the next answer', async () => {
    let n = 0;
    const s = await serve((_req, res) => {
      n++;
      if (n === 1) {
        res
          .writeHead(503, { 'content-type': 'application/json' })
          .end('{"error_code":"TEMPORARILY_UNAVAILABLE","message":"busy"}');
      } else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ run: RUN }));
    });
    servers.push(s.server);
    const run = await client(s.uri).getRun('r1');
    expect(run.info.run_id).toBe('r1');
    expect(run.data).toEqual({ metrics: [], params: [], tags: [] });
    expect(s.requests).toHaveLength(2);
  });

  it('honours Retry-After', async () => {
    let n = 0;
    const s = await serve((_req, res) => {
      n++;
      if (n === 1) res.writeHead(429, { 'retry-after': '1' }).end('slow down');
      else res.writeHead(200).end('{}');
    });
    servers.push(s.server);
    const sleeps: number[] = [];
    await client(s.uri, {}, sleeps).setTag('r1', 'k', 'v');
    expect(sleeps).toEqual([1000]);
    expect(s.requests).toHaveLength(2);
  });

  it('gives up after maxAttempts with a typed error', async () => {
    const s = await serve((_req, res) => res.writeHead(502).end('<html>bad gateway</html>'));
    servers.push(s.server);
    const err = await client(s.uri)
      .getRun('r1')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlflowError);
    expect((err as MlflowError).status).toBe(502);
    expect((err as MlflowError).endpoint).toBe('/api/2.0/mlflow/runs/get');
    expect((err as MlflowError).serverMessage).toBe('<html>bad gateway</html>');
    expect(s.requests).toHaveLength(4);
  });

  it('does not retry client errors and decodes MLflow error bodies', async () => {
    const s = await serve((_req, res) =>
      res
        .writeHead(400, { 'content-type': 'application/json' })
        .end('{"error_code":"INVALID_PARAMETER_VALUE","message":"nope"}'),
    );
    servers.push(s.server);
    const err = (await client(s.uri)
      .setTag('r1', 'k', 'v')
      .catch((e: unknown) => e)) as MlflowError;
    expect(err.errorCode).toBe('INVALID_PARAMETER_VALUE');
    expect(err.message).toContain('nope');
    expect(s.requests).toHaveLength(1);
  });

  it('retries connection errors', async () => {
    const s = await serve((_req, res) => res.end('{}'));
    const uri = s.uri;
    await new Promise((ok) => s.server.close(ok));
    const err = (await client(uri)
      .getRun('r1')
      .catch((e: unknown) => e)) as MlflowError;
    expect(err).toBeInstanceOf(MlflowError);
    expect(err.status).toBeUndefined();
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('ECONNREFUSED');
  });

  it('sends runs/create once (never retried at the transport level)', async () => {
    const s = await serve((_req, res) => res.writeHead(503).end('down'));
    servers.push(s.server);
    await expect(client(s.uri).createRun('1', { runName: 'x' })).rejects.toBeInstanceOf(MlflowError);
    expect(s.requests.filter((r) => r.url.endsWith('/runs/create'))).toHaveLength(1);
  });

  it('sends Basic auth (winning over a token), no workspace header unless configured, and never leaks credentials', async () => {
    const s = await serve((_req, res) => res.writeHead(403).end('Permission denied'));
    servers.push(s.server);
    const c = client(`${s.uri.replace('http://', 'http://alice:s3cret@')}/prefix/`, { token: 'tok-123' });
    const err = (await c.setTag('r', 'k', 'v').catch((e: unknown) => e)) as MlflowError;
    expect(s.requests[0]!.headers.authorization).toBe(
      `Basic ${Buffer.from('alice:s3cret').toString('base64')}`,
    );
    expect(s.requests[0]!.headers['x-mlflow-workspace']).toBeUndefined();
    expect(s.requests[0]!.url).toBe('/prefix/api/2.0/mlflow/runs/set-tag');
    expect(err.status).toBe(403);
    expect(`${err.message} ${err.stack}`).not.toMatch(/s3cret|alice|tok-123/);

    const c2 = client(s.uri, { token: 'tok-123', workspace: 'team-a' });
    await c2.setTag('r', 'k', 'v').catch(() => undefined);
    expect(s.requests[1]!.headers.authorization).toBe('Bearer tok-123');
    expect(s.requests[1]!.headers['x-mlflow-workspace']).toBe('team-a');
  });

  it('always sends max_results and start_time, and NaN as a string', async () => {
    const bodies: string[] = [];
    const s = await serve((req, res, body) => {
      bodies.push(body);
      if (req.url?.includes('runs/create')) res.end(JSON.stringify({ run: RUN }));
      else res.end(req.url?.includes('get-history') ? '{}' : '{}');
    });
    servers.push(s.server);
    const c = client(s.uri);
    await c.searchExperiments();
    await c.createRun('1');
    await c.logBatch('r1', { metrics: [{ key: 'm', value: NaN }] });
    expect(await c.getMetricHistory('r1', 'm')).toEqual([]);
    expect(JSON.parse(bodies[0]!)).toMatchObject({ max_results: 1000 });
    expect(JSON.parse(bodies[1]!).start_time).toBeGreaterThan(1_600_000_000_000);
    expect(JSON.parse(bodies[2]!).metrics[0].value).toBe('NaN');
    expect(s.requests[3]!.url).toContain('max_results=25000');
  });
});
