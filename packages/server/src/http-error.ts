import { isEvalHubError, EvalHubError, statusForCode, type CodeWhere, type ErrorDetail } from '@evalhub/core';
import './error-codes.js';

/**
 * An HTTP-level client error raised by the server itself (415, 413, 404 route, 405, 401, bad query).
 * Its status is the one its code's table declares.
 */
export class HttpError extends EvalHubError<CodeWhere<{ kind: 'request' }>> {
  constructor(
    code: CodeWhere<{ kind: 'request' }>,
    message: string,
    details: ErrorDetail[] = [],
    headers: Record<string, string> = {},
  ) {
    super(code, message, { details, headers });
  }
}

export interface ErrorBodyJson {
  error: { code: string; message: string; details: ErrorDetail[] };
  request_id: string;
}

/** Codes for statuses that arrive without one (errors thrown by Koa or a dependency). */
const STATUS_CODES: Record<number, CodeWhere<{ kind: 'request' }>> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  408: 'request_timeout',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable',
  429: 'too_many_requests',
};

/**
 * Maps anything thrown to a status and the one error body: the one place an error becomes an HTTP
 * answer. EvalHubErrors answer with the status their code's table declares, their code and details;
 * other client errors (http-errors with `expose`) keep their status; everything else is a 500 with
 * a generic message (the caller logs the real one).
 */
export function toErrorResponse(
  err: unknown,
  requestId: string,
): { status: number; body: ErrorBodyJson; headers: Record<string, string>; internal: boolean } {
  const e = err as {
    status?: unknown;
    statusCode?: unknown;
    code?: unknown;
    message?: unknown;
    details?: unknown;
    expose?: unknown;
    headers?: unknown;
  };
  if (isEvalHubError(err)) {
    // The status is the one the code's table declares; a code no table declares is a bug (500).
    const status = statusForCode(err.code, err.preferredStatus) ?? 500;
    if (status >= 400 && status < 500) {
      return {
        status,
        body: {
          error: { code: err.code, message: err.message, details: err.details },
          request_id: requestId,
        },
        headers: err.headers,
        internal: false,
      };
    }
    if (status >= 501 && status < 600) {
      // Upstream failures (MLflow, a model server): the message names the dependency and is safe.
      return {
        status,
        body: {
          error: { code: err.code, message: err.message, details: [] },
          request_id: requestId,
        },
        headers: err.headers,
        internal: false,
      };
    }
  } else if (typeof e === 'object' && e !== null) {
    const status = Number(e.status ?? e.statusCode);
    if (status >= 400 && status < 500 && e.expose !== false) {
      return {
        status,
        body: {
          error: {
            code: STATUS_CODES[status] ?? 'bad_request',
            message: String(e.message ?? 'Bad request.'),
            details: [],
          },
          request_id: requestId,
        },
        headers: {},
        internal: false,
      };
    }
  }
  return {
    status: 500,
    body: {
      error: {
        code: 'internal_error',
        message: `Something went wrong on the hub's side. Quote request id ${requestId} when reporting it.`,
        details: [],
      },
      request_id: requestId,
    },
    headers: {},
    internal: true,
  };
}
