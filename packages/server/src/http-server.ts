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
import { fairDispatch } from './fair-dispatch.js';
import type { ErrorBodyJson } from './http-error.js';

export interface HttpServerOptions {
  /** Time a client has to send the request headers; the body reader gives the body as long again. */
  requestTimeoutMs: number;
  /**
   * Request handlers started per event-loop turn while connections are being accepted (see
   * `fairDispatch`). Default 8; 0 starts each at once.
   */
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
  const perTurn = options.requestsPerTurn ?? 8;
  const dispatch = perTurn > 0 ? fairDispatch(handle, perTurn) : undefined;
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
    dispatch ?? handle,
  );
  if (dispatch) server.on('connection', dispatch.accepted);
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
