/**
 * Error raised by the MLflow client for every failed call: an HTTP error answer from the server
 * (`status` set, `errorCode` when the body is MLflow's JSON error), a connection failure or a
 * timeout (`status` undefined, native `cause` kept), or a request the client refused to send
 * (`errorCode` = `CLIENT_VALIDATION`). Messages never contain credentials: only the HTTP method, the
 * endpoint path and the server's own message.
 */
export class MlflowError extends Error {
  override readonly name = 'MlflowError';
  /** HTTP status, undefined for connection errors/timeouts. */
  readonly status: number | undefined;
  /** MLflow `error_code` (e.g. `RESOURCE_ALREADY_EXISTS`) when the server sent one. */
  readonly errorCode: string | undefined;
  /** Endpoint path without host and query, e.g. `/api/2.0/mlflow/runs/create`. */
  readonly endpoint: string;
  /** HTTP method of the failed call. */
  readonly method: string;
  /** The server's error text (parsed JSON message or raw text, capped). */
  readonly serverMessage: string | undefined;
  /** Whether the retry policy considers this failure transient. */
  readonly retryable: boolean;

  constructor(init: {
    message: string;
    endpoint: string;
    method: string;
    status?: number | undefined;
    errorCode?: string | undefined;
    serverMessage?: string | undefined;
    retryable?: boolean;
    cause?: unknown;
  }) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.errorCode = init.errorCode;
    this.endpoint = init.endpoint;
    this.method = init.method;
    this.serverMessage = init.serverMessage;
    this.retryable = init.retryable ?? false;
  }

  /** True for MLflow's "not found" answers (404 or RESOURCE_DOES_NOT_EXIST). */
  get isNotFound(): boolean {
    return this.status === 404 || this.errorCode === 'RESOURCE_DOES_NOT_EXIST';
  }

  /** True when the server says the resource exists already (MLflow answers 400, not 409). */
  get isAlreadyExists(): boolean {
    return this.errorCode === 'RESOURCE_ALREADY_EXISTS' || this.errorCode === 'ALREADY_EXISTS';
  }
}

/** Builds an MlflowError for a request the client refuses to send. */
export function clientValidationError(endpoint: string, message: string): MlflowError {
  return new MlflowError({ message, endpoint, method: '-', errorCode: 'CLIENT_VALIDATION' });
}

/** Why a call failed, in one word: `status` (an HTTP error answer), `timeout`, `reset`, `refused`, `network` or `client`. */
export type FailureReason = 'status' | 'timeout' | 'reset' | 'refused' | 'network' | 'client';

const TIMEOUT_CODES = new Set([
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

export function failureReason(err: MlflowError): FailureReason {
  if (err.status !== undefined) return 'status';
  if (err.errorCode === 'CLIENT_VALIDATION') return 'client';
  let cur: unknown = err.cause;
  for (let depth = 0; cur && depth < 5; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (TIMEOUT_CODES.has(code)) return 'timeout';
      if (RESET_CODES.has(code)) return 'reset';
      if (code === 'ECONNREFUSED') return 'refused';
    }
    cur = (cur as { cause?: unknown }).cause;
  }
  return 'network';
}
