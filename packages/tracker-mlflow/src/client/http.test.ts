import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpTransport } from './http.js';

/** A loopback server answering each request with the next handler (the last one repeats). */
async function serve(
  ...answers: ((res: import('node:http').ServerResponse) => void)[]
): Promise<{ url: string; server: Server }> {
  let n = 0;
  const server = createServer((req, res) => {
    req.resume();
    answers[Math.min(n++, answers.length - 1)]!(res);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((ok) => s.close(ok));
  }
});

function transport(url: string, extra: { timeoutMs?: number } = {}) {
  const warnings: Record<string, unknown>[] = [];
  const logger = {
    debug: () => {},
    warn: (obj: object) => void warnings.push(obj as Record<string, unknown>),
  };
  const http = new HttpTransport({ trackingUri: url, logger, ...extra }, async () => {});
  return { http, warnings };
}

const ok = (res: import('node:http').ServerResponse): void => {
  res.setHeader('content-type', 'application/json');
  res.end('{}');
};

describe('HttpTransport retry log lines say why the request failed', () => {
  it('reason "status" with the status and MLflow\'s error code', async () => {
    const s = await serve((res) => {
      res.statusCode = 503;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ error_code: 'TEMPORARILY_UNAVAILABLE', message: 'busy' }));
    }, ok);
    servers.push(s.server);
    const { http, warnings } = transport(s.url);
    const res = await http.call({ method: 'GET', url: http.url('/api/2.0/mlflow/experiments/search') });
    expect(res.status).toBe(200);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      reason: 'status',
      status: 503,
      errorCode: 'TEMPORARILY_UNAVAILABLE',
      endpoint: '/api/2.0/mlflow/experiments/search',
      attempt: 1,
    });
    expect(String(warnings[0]!.err)).toContain('503');
    await http.close();
  });

  it('reason "timeout" when the answer does not come within timeoutMs', async () => {
    const s = await serve(() => {}, ok);
    servers.push(s.server);
    const { http, warnings } = transport(s.url, { timeoutMs: 200 });
    const res = await http.call({ method: 'GET', url: http.url('/health') });
    expect(res.status).toBe(200);
    expect(warnings[0]).toMatchObject({ reason: 'timeout', endpoint: '/health' });
    expect(warnings[0]!.status).toBeUndefined();
    await http.close();
  });

  it('reason "refused" when nothing listens, and the error after the last attempt', async () => {
    const s = await serve(ok);
    const url = s.url;
    await new Promise((done) => s.server.close(done));
    const { http, warnings } = transport(url);
    await expect(http.call({ method: 'GET', url: http.url('/health') })).rejects.toThrow(/\/health/);
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings.every((w) => w.reason === 'refused')).toBe(true);
    expect(warnings.map((w) => w.attempt)).toEqual(warnings.map((_, i) => i + 1));
    await http.close();
  });
});
