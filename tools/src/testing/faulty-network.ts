import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';

/**
 * What happens to one request on its way to the real MLflow server:
 * - `pass`: forwarded, answer returned;
 * - `refuse`: answered 503 without reaching MLflow;
 * - `fail-after`: forwarded (MLflow does the work), but the client is told 503;
 * - `drop-after`: forwarded, then the connection is cut before the answer arrives.
 */
export type Fault = 'pass' | 'refuse' | 'fail-after' | 'drop-after';

export interface FaultyNetwork {
  /** URI of the upstream, through the network. */
  uri: string;
  /** `METHOD path` of every request, in order. */
  seen: string[];
  /** Paths that were answered 503 (refused or failed after forwarding). */
  answered503: string[];
  close(): Promise<void>;
}

/**
 * A pass-through HTTP proxy in front of a real server (MLflow, a model server) that injects network faults, so
 * retries and idempotency are exercised against real server state, and sees what clients send. It stands for the network, not
 * for the server: every request that passes is answered by the server itself.
 */
export interface NetworkOptions {
  /** Rewrites the request path before forwarding (e.g. strips an ingress prefix). */
  mapPath?: (path: string) => string;
  /** Sees each request as the client sent it (its headers; method and forwarded path). */
  onRequest?: (headers: IncomingHttpHeaders, request: { method: string; path: string }) => void;
  /**
   * Sees each answer the client gets, and how long it took: 502 when the upstream could not be
   * reached, 0 when the connection was cut (`drop-after`).
   */
  onAnswer?: (answer: { method: string; path: string; status: number; ms: number }) => void;
}

export async function faultyNetwork(
  upstreamUri: string,
  /** `n` counts requests from 1; `body` is the request body as sent. */
  decide: (n: number, path: string, body: Buffer) => Fault = () => 'pass',
  options: NetworkOptions = {},
): Promise<FaultyNetwork> {
  let n = 0;
  const seen: string[] = [];
  const answered503: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = options.mapPath ? options.mapPath(req.url ?? '/') : (req.url ?? '/');
      const method = req.method ?? 'GET';
      options.onRequest?.({ ...req.headers }, { method, path });
      const started = performance.now();
      const answered = (status: number): void =>
        options.onAnswer?.({ method, path, status, ms: performance.now() - started });
      const unavailable = (): void => {
        answered503.push(path);
        answered(503);
        if (!res.destroyed)
          res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '0' }).end('service unavailable');
      };
      seen.push(`${method} ${path}`);
      const fault = decide(++n, path, Buffer.concat(chunks));
      if (fault === 'refuse') return unavailable();
      const headers = { ...req.headers };
      delete headers.host;
      delete headers.connection;
      // No timeouts of its own: the proxy stands for the network, the clients time out
      request(`${upstreamUri}${path}`, {
        method: method as 'GET',
        headers,
        body: chunks.length ? Buffer.concat(chunks) : undefined,
        headersTimeout: 0,
        bodyTimeout: 0,
      }).then(
        async (up) => {
          const body = Buffer.from(await up.body.arrayBuffer());
          if (fault === 'drop-after') {
            answered(0);
            return void req.socket.destroy();
          }
          if (fault === 'fail-after') return unavailable();
          answered(up.statusCode);
          if (res.destroyed) return;
          res
            .writeHead(up.statusCode, {
              'content-type': String(up.headers['content-type'] ?? 'application/json'),
            })
            .end(body);
        },
        () => {
          answered(502);
          if (!res.destroyed) res.writeHead(502).end('proxy error');
        },
      );
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    uri: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    answered503,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
