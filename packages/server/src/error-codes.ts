import { defineErrorCodes, registerErrorCodes } from '@evalhub/core';

/**
 * The server's own error codes: reading the body, routing, headers and the eval-hub-compatible API.
 * The generic HTTP ones (`unauthorized`, `method_not_allowed`, …) are core's, shared with plugins'
 * HTTP handlers.
 */
export const SERVER_ERROR_CODES = defineErrorCodes({
  malformed_json: {
    kind: 'request',
    status: 400,
    meaning: 'the body is not JSON (the message gives line and column)',
    fix: 'send valid JSON',
  },
  body_empty: {
    kind: 'request',
    status: 400,
    meaning: 'no body',
    fix: 'send a JSON object',
  },
  body_too_deep: {
    kind: 'request',
    status: 400,
    meaning: 'arrays/objects nested over 64 levels (pointer: the first too deep)',
    fix: 'flatten the body',
  },
  invalid_utf8: {
    kind: 'request',
    status: 400,
    meaning: 'the body is not UTF-8 (the message gives the byte offset)',
    fix: 'send JSON encoded as UTF-8',
  },
  invalid_query: {
    kind: 'request',
    status: 400,
    meaning: 'a query parameter is invalid (`/limit`, `/status`, `/tag`, …)',
    fix: 'fix the parameter named in the pointer',
  },
  invalid_header: {
    kind: 'request',
    status: 400,
    meaning: '`Idempotency-Key` or `Last-Event-ID` malformed',
    fix: 'see the message',
  },
  route_not_found: {
    kind: 'request',
    status: 404,
    meaning: 'no such route',
    fix: 'see `/docs`',
  },
  request_validation_failed: {
    kind: 'request',
    status: 400,
    meaning: 'eval-hub API: a job that cannot run (see `details`)',
    fix: 'fix the job field named in the pointer',
  },
  resource_does_not_exist: {
    kind: 'request',
    status: 400,
    meaning: 'eval-hub API: `collection.id` names no collection',
    fix: 'use an id from `GET /api/v1/evaluations/collections`',
  },
  patch_not_supported: {
    kind: 'request',
    status: 400,
    meaning: 'eval-hub API: a JSON-patch array sent to `PATCH …/collections/{id}`',
    fix: 'send a JSON object with the fields to change',
  },
  delete_not_supported: {
    kind: 'request',
    status: 409,
    meaning: '`hard_delete=true` with a store that cannot delete evaluations',
    fix: 'cancel instead (no `hard_delete`), or use a store that can delete (memory, SQLite, PostgreSQL)',
  },
});

type ServerErrorCodes = typeof SERVER_ERROR_CODES;

declare module '@evalhub/core' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface ErrorCodeRegistry extends ServerErrorCodes {}
}

registerErrorCodes('@evalhub/server', SERVER_ERROR_CODES);
