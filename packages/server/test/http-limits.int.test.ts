/**
 * What the real server does with slow, oversized and malformed requests: a raw TCP client on a free
 * port sends exactly the bytes under test, and every answer must be the one JSON error body.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, testServer, type TestServer } from './support/harness.js';

const TIMEOUT_MS = 400;
let s: TestServer;

beforeAll(async () => {
  s = await testServer({ config: { server: { request_timeout_ms: TIMEOUT_MS } } });
});
afterAll(async () => {
  await s?.stop();
});

interface RawAnswer {
  /** Everything the server sent. */
  text: string;
  /** Of the first response: */
  status: number;
  headers: Record<string, string>;
  body: any;
  /** ms from connecting until the server closed the connection. */
  closedAfterMs: number;
}

/** Connects, lets `drive` write to the socket, and resolves once the server closes the connection. */
function raw(drive: (socket: Socket) => void): Promise<RawAnswer> {
  const { port } = s;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('connect', () => drive(socket));
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', ...rest] = text.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const at = l.indexOf(':');
        headers[l.slice(0, at).toLowerCase()] = l.slice(at + 1).trim();
      }
      const bodyText = rest.join('\r\n\r\n').slice(0, Number(headers['content-length'] ?? Infinity));
      resolve({
        text,
        status: Number(statusLine.split(' ')[1]),
        headers,
        body: bodyText ? JSON.parse(bodyText) : undefined,
        closedAfterMs: performance.now() - started,
      });
    });
  });
}

const expectErrorBody = (answer: RawAnswer, status: number, code: string): void => {
  expect(answer.status).toBe(status);
  expect(answer.headers['content-type']).toMatch(/^application\/json/);
  expect(answer.body.error.code).toBe(code);
  expect(typeof answer.body.error.message).toBe('string');
  expect(answer.body.error.details).toEqual(expect.any(Array));
  expect(answer.body.request_id).toEqual(expect.any(String));
};

describe('request timeouts', () => {
  it('a body that declares 1000 bytes and sends 9 gets a 408 JSON error and the connection closes', async () => {
    const answer = await raw((socket) => {
      socket.write(
        'POST /api/v1/evaluations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
          'Content-Length: 1000\r\n\r\n{"model":',
      );
    });
    expectErrorBody(answer, 408, 'request_timeout');
    expect(answer.body.error.message).toMatch(/9 of 1000 bytes/);
    expect(answer.body.error.message).toContain('server.request_timeout_ms');
    expect(answer.headers.connection).toBe('close');
    // Closed by the server once the timeout passed, long before Node's own defaults (minutes).
    expect(answer.closedAfterMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(answer.closedAfterMs).toBeLessThan(20_000);
  });

  it('headers trickled in (slowloris) get a 408 JSON error and the connection closes', async () => {
    let timer: NodeJS.Timeout | undefined;
    const answer = await raw((socket) => {
      socket.write('GET /api/v1/providers HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      let n = 0;
      timer = setInterval(() => {
        if (!socket.destroyed && socket.writable) socket.write(`X-Slow-${n++}: a\r\n`);
      }, 50);
    });
    clearInterval(timer);
    expectErrorBody(answer, 408, 'request_timeout');
    expect(answer.closedAfterMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(answer.closedAfterMs).toBeLessThan(20_000);
  });

  it('a keep-alive connection serves requests after an idle pause longer than the header timeout', async () => {
    const agentless = await raw((socket) => {
      const request = 'GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';
      socket.write(request);
      let answers = 0;
      socket.on('data', (c: Buffer) => {
        answers += c.toString('utf8').split('HTTP/1.1 200').length - 1;
        if (answers === 1)
          setTimeout(
            () => socket.write(request.replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n')),
            2 * TIMEOUT_MS,
          );
      });
    });
    expect(agentless.status).toBe(200);
    expect(agentless.text.split('HTTP/1.1 200 OK').length - 1).toBe(2);
    expect(agentless.closedAfterMs).toBeGreaterThanOrEqual(2 * TIMEOUT_MS);
  });
});

describe('what Node rejects before the app', () => {
  it('431 for an over-long path has the JSON error body', async () => {
    const answer = await raw((socket) => {
      socket.write(`GET /api/v1/evaluations/${'a'.repeat(20_000)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    });
    expectErrorBody(answer, 431, 'headers_too_large');
  });

  it('400 for a request that is not HTTP has the JSON error body', async () => {
    const answer = await raw((socket) => socket.write('NOT HTTP\r\n\r\n'));
    expectErrorBody(answer, 400, 'bad_request');
  });
});

describe('body parsing', () => {
  it('400 naming the pointer for a config nested 2,000 levels deep (was a 500)', async () => {
    const deep = `${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}`;
    const body = `{"model":{"server":"vllm","name":"m"},"benchmarks":[{"benchmark_id":"ok","provider_id":"scripted","config":${deep}}]}`;
    const r = await http(s.url, 'POST', '/api/v1/evaluations', {
      body,
      headers: { 'content-type': 'application/json' },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('body_too_deep');
    expect(r.body.error.details[0].pointer).toMatch(/^\/benchmarks\/0\/config\/a\/a\//);
    expect(r.body.error.message).toMatch(/64 levels/);
  });

  it('400 for invalid UTF-8 in the body, naming the field and the offset (was replaced by U+FFFD)', async () => {
    const prefix = Buffer.from('{"model":{"server":"vllm","name":"m');
    const body = Buffer.concat([
      prefix,
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"},"benchmarks":[{"benchmark_id":"ok","provider_id":"scripted"}]}'),
    ]);
    const r = await http(s.url, 'POST', '/api/v1/evaluations', {
      body: new Uint8Array(body),
      headers: { 'content-type': 'application/json' },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid_utf8');
    expect(r.body.error.message).toContain(`offset ${prefix.length}`);
    expect(r.body.error.details[0].pointer).toBe('/model/name');
    const listed = await http(s.url, 'GET', '/api/v1/evaluations');
    expect(listed.body.total).toBe(0);
  });
});
