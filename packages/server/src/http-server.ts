import { randomUUID } from 'node:crypto';
import {
  createServer,
  STATUS_CODES,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Duplex } from 'node:stream';
import { statusForCode, type CodeWhere } from '@evalhub/core';
import type { ErrorBodyJson } from './http-error.js';

export interface HttpServerOptions {
  /** Time a client has to send the request headers; the body reader gives the body as long again. */
  requestTimeoutMs: number;
  /** Request handlers started per event-loop turn (see `fairDispatch`). Default 8; 0 starts each at once. */
  requestsPerTurn?: number;
  /** Idle time before a keep-alive connection is closed. Default 65 s (above common proxies' 60 s). */
  keepAliveTimeoutMs?: number;
}

type RequestCode = CodeWhere<{ kind: 'request' }>;

/** Errors Node's HTTP parser reports before a request reaches the app, as code and message. */
function describeClientError(err: NodeJS.ErrnoException, timeoutMs: number): [RequestCode, string] {
  switch (err.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [
        'request_timeout',
        `The request did not arrive within ${timeoutMs} ms (server.request_timeout_ms); send the headers and body without pausing.`,
      ];
    case 'HPE_HEADER_OVERFLOW':
      return [
        'headers_too_large',
        'The request line and headers are too large (limit 16 KiB in total): shorten the path, query or headers.',
      ];
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return ['payload_too_large', 'The chunk extensions of the body are too large.'];
    default:
      return ['bad_request', `The request is not valid HTTP/1.1 (${err.code ?? 'parse error'}).`];
  }
}

/**
 * The one JSON error body, written straight to a socket (the request never reached the app), with
 * the status the code's table declares.
 */
export function rawErrorResponse(code: RequestCode, message: string): string {
  const status = statusForCode(code) ?? 400;
  const body: ErrorBodyJson = { error: { code, message, details: [] }, request_id: randomUUID() };
  const text = JSON.stringify(body);
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
    'Content-Type: application/json; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(text)}\r\n` +
    `X-Request-Id: ${body.request_id}\r\n` +
    'Connection: close\r\n\r\n' +
    text
  );
}

/**
 * The Node HTTP server: header and whole-request timeouts (checked often enough to be on time), and
 * the JSON error body for what Node's parser rejects itself (431, 408 on headers, 400), not Node's
 * empty default answers. The connection closes after such an answer.
 */
export function createHttpServer(
  handle: (req: IncomingMessage, res: ServerResponse) => void,
  options: HttpServerOptions,
): Server {
  const timeout = options.requestTimeoutMs;
  const server = createServer(
    {
      headersTimeout: timeout,
      // The body reader answers 408 itself after `timeout` more; this is the backstop for a route
      // that does not read its body.
      requestTimeout: 2 * timeout + 1000,
      keepAliveTimeout: options.keepAliveTimeoutMs ?? 65_000,
      // How often Node checks the two timeouts above (default 30 s, far coarser than the timeout).
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(timeout / 4))),
    },
    (options.requestsPerTurn ?? 8) > 0 ? fairDispatch(handle, options.requestsPerTurn ?? 8) : handle,
  );
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse })._httpMessage;
    if (err.code !== 'ECONNRESET' && socket.writable && (!inFlight || !inFlight.headersSent)) {
      const [code, message] = describeClientError(err, timeout);
      socket.end(rawErrorResponse(code, message), () => socket.destroy());
      return;
    }
    socket.destroy();
  });
  return server;
}

/**
 * Starts at most `perTurn` request handlers per event-loop turn, the rest in later turns, in arrival
 * order.
 *
 * Why: since libuv 1.45 (Node 20) a listening socket accepts ONE connection per event-loop turn
 * (libuv#3696), and a turn also runs the handlers of every request read in it. Under load a turn
 * handles a request from every open connection, so a burst of n new connections (a client pool
 * opening, a load balancer reconnecting) waits n turns that each grow with the connections already
 * served: at 200 connections the last ones were accepted after about a second (the ~1 s tail of
 * issue 19; the kernel had completed their handshakes, so the clients had sent their requests and
 * were waiting), at 1,000 after many seconds. Bounding the handlers started per turn keeps turns short, so
 * connections are accepted at a steady pace whatever the load; the work itself is the same.
 */
export function fairDispatch(
  handle: (req: IncomingMessage, res: ServerResponse) => void,
  perTurn: number,
): (req: IncomingMessage, res: ServerResponse) => void {
  let queue: [IncomingMessage, ServerResponse][] = [];
  let head = 0;
  let scheduled = false;
  const drain = (): void => {
    const end = Math.min(queue.length, head + perTurn);
    while (head < end) {
      const [req, res] = queue[head]!;
      head++;
      handle(req, res);
    }
    if (head >= queue.length) {
      queue = [];
      head = 0;
      scheduled = false;
    } else {
      if (head > 1024) {
        queue = queue.slice(head);
        head = 0;
      }
      setImmediate(drain);
    }
  };
  return (req, res) => {
    queue.push([req, res]);
    if (!scheduled) {
      scheduled = true;
      setImmediate(drain);
    }
  };
}
