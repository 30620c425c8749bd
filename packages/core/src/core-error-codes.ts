import { defineErrorCodes, registerErrorCodes } from './error-codes.js';

/**
 * Core's error codes: the service's, the store and tracker contracts', start-up's, and the generic
 * HTTP ones any part of the hub answers with (the server, a plugin's HTTP handler). Plugins declare
 * theirs in their own tables. docs/errors.md is generated from these (`npm run generate`).
 */
export const CORE_ERROR_CODES = defineErrorCodes({
  // ── the request ────────────────────────────────────────────────────────────────────────────────
  validation_failed: {
    kind: 'request',
    status: 400,
    meaning: 'the body does not match the schema (each problem has a pointer)',
    fix: 'fix the fields named in `details`',
  },
  nothing_to_evaluate: {
    kind: 'request',
    status: 400,
    meaning: 'neither `benchmarks` nor `collection_id`',
    fix: 'add `benchmarks` or `collection_id` (see `GET /api/v1/collections`)',
  },
  benchmarks_and_collection: {
    kind: 'request',
    status: 400,
    meaning: 'both `benchmarks` and `collection_id`',
    fix: 'keep one',
  },
  model_unresolvable: {
    kind: 'request',
    status: 400,
    meaning: '`model.server` is not a configured model server and no `model.url`',
    fix: 'pass `model.url`, or configure `EVALHUB_MODEL_SERVER_<NAME>` / `model_servers`',
  },
  // ── unknown ids ───────────────────────────────────────────────────────────────────────────────
  evaluation_not_found: {
    kind: 'request',
    status: 404,
    meaning: 'no evaluation has this id',
    fix: 'check the id (`GET /api/v1/evaluations` lists them)',
  },
  collection_not_found: {
    kind: 'request',
    status: [404, 400],
    meaning: 'no collection has this id (400 when a request body names it in `collection_id`)',
    fix: 'use an id from `GET /api/v1/collections`',
  },
  provider_not_found: {
    kind: 'request',
    status: 404,
    meaning: 'no installed provider has this id',
    fix: 'use an id from `GET /api/v1/providers` (the message lists them)',
  },
  benchmark_not_found: {
    kind: 'request',
    status: 404,
    meaning: 'the provider or evaluation has no such benchmark',
    fix: 'check the id or index; the message lists what exists',
  },
  // ── conflicts with the current state ──────────────────────────────────────────────────────────
  evaluation_finished: {
    kind: 'request',
    status: 409,
    meaning: 'cancelling an evaluation that has already finished',
    fix: 'nothing to do',
  },
  collection_exists: {
    kind: 'request',
    status: 409,
    meaning: 'creating a collection whose id is taken',
    fix: '`PUT /api/v1/collections/{id}` to change it',
  },
  collection_read_only: {
    kind: 'request',
    status: 409,
    meaning: 'changing a built-in (config) collection',
    fix: 'create a user collection instead',
  },
  hub_shutting_down: {
    kind: 'request',
    status: 409,
    meaning: 'submitted while the hub stops',
    fix: 'submit again in a moment',
  },
  lease_lost: {
    kind: 'request',
    status: 409,
    meaning: 'a replica wrote an evaluation after losing its lease (internal)',
    fix: 'nothing: another replica resumes it',
  },
  // ── capacity and dependencies ─────────────────────────────────────────────────────────────────
  queue_full: {
    kind: 'request',
    status: 429,
    meaning: '`evaluation.max_queued_evaluations` evaluations are already waiting',
    fix: 'send the same request again after `Retry-After` seconds; nothing was stored',
  },
  store_unavailable: {
    kind: 'request',
    status: 503,
    meaning: "the store's database (PostgreSQL) is unreachable",
    fix: 'retry after `Retry-After` seconds',
  },
  upstream_failed: {
    kind: 'request',
    status: 502,
    meaning: 'a dependency (a model server, a tracker) failed or could not be reached',
    fix: 'check the dependency the message names and its health (`GET /api/v1/health`)',
  },
  // ── HTTP itself: any route, any handler ───────────────────────────────────────────────────────
  bad_request: {
    kind: 'request',
    status: 400,
    meaning: 'not valid HTTP/1.1 (rejected before routing), or a request a handler cannot read',
    fix: 'fix the client',
  },
  unauthorized: {
    kind: 'request',
    status: 401,
    meaning: 'API keys are enabled and none or a wrong one was sent',
    fix: 'send `Authorization: Bearer <key>` or `X-API-Key`',
  },
  forbidden: {
    kind: 'request',
    status: 403,
    meaning: 'the credentials sent do not allow this request',
    fix: 'see the message',
  },
  not_found: {
    kind: 'request',
    status: 404,
    meaning: 'a plugin handler or a library refused an unknown path',
    fix: 'see the message',
  },
  method_not_allowed: {
    kind: 'request',
    status: 405,
    meaning: 'wrong method on a known route (the `Allow` header lists the right ones)',
    fix: 'use an allowed method',
  },
  request_timeout: {
    kind: 'request',
    status: 408,
    meaning: 'headers, then body, not in `server.request_timeout_ms`; conn. closed',
    fix: 'send the whole request without pausing, or raise `server.request_timeout_ms`',
  },
  conflict: {
    kind: 'request',
    status: 409,
    meaning: 'a library refused the request as conflicting',
    fix: 'see the message',
  },
  payload_too_large: {
    kind: 'request',
    status: 413,
    meaning: 'body over the limit (1 MiB by default)',
    fix: 'send less, or raise `server.body_limit_bytes`',
  },
  unsupported_media_type: {
    kind: 'request',
    status: 415,
    meaning: 'the body is not `application/json` (UTF-8)',
    fix: 'set `Content-Type: application/json`',
  },
  unprocessable: {
    kind: 'request',
    status: 422,
    meaning: 'a library could not process the request',
    fix: 'see the message',
  },
  too_many_requests: {
    kind: 'request',
    status: 429,
    meaning: 'a library rate-limited the request',
    fix: 'retry later',
  },
  headers_too_large: {
    kind: 'request',
    status: 431,
    meaning: 'request line and headers over 16 KiB (e.g. a very long path)',
    fix: 'shorten the path, query or headers',
  },
  internal_error: {
    kind: 'request',
    status: 500,
    meaning: 'a bug in the hub (logged with the request id)',
    fix: 'report it with the request id',
  },
  // ── benchmarks ────────────────────────────────────────────────────────────────────────────────
  benchmark_failed: {
    kind: 'benchmark',
    meaning: "the provider failed; the message says why (for processes: the log's tail)",
    fix: "read the message and the benchmark's log (`GET …/logs`)",
  },
  benchmark_timeout: {
    kind: 'benchmark',
    meaning: "the benchmark ran longer than `timeout_seconds` (or the hub's default) and was killed",
    fix: 'raise `timeout_seconds`, or lower `limit`',
  },
  benchmark_aborted: {
    kind: 'benchmark',
    meaning: 'the provider stopped its work because the run was cancelled or timed out',
    fix: 'nothing, or see `benchmark_timeout`',
  },
  benchmark_invalid: {
    kind: 'benchmark',
    meaning: "the benchmark's `config` is not valid for its provider (the message names the field)",
    fix: 'fix the field; `GET /api/v1/providers/{id}` shows the config schema',
  },
  cancelled: {
    kind: 'benchmark',
    meaning: "cancelled by `DELETE /api/v1/evaluations/{id}` (also the evaluation's code then)",
    fix: 'nothing to do',
  },
  interrupted: {
    kind: 'benchmark',
    meaning: 'interrupted by hub restarts more than `evaluation.max_attempts` times',
    fix: 'submit again; raise `evaluation.max_attempts` if the hub restarts often',
  },
  provider_missing: {
    kind: 'benchmark',
    meaning: "after a restart, the benchmark's provider is no longer installed",
    fix: 'install the provider again and resubmit',
  },
  runtime_spawn_failed: {
    kind: 'benchmark',
    meaning: "the provider's command could not be started (e.g. Python tools missing)",
    fix: 'install the tools the message names (`tools/python/setup-env.sh`)',
  },
  // ── evaluations ───────────────────────────────────────────────────────────────────────────────
  benchmarks_failed: {
    kind: 'evaluation',
    meaning: 'some benchmarks failed (the evaluation is `partially_failed`); the message lists them',
    fix: "see each failed benchmark's `error`",
  },
  evaluation_failed: {
    kind: 'evaluation',
    meaning: 'every benchmark failed; the message lists each one and its reason',
    fix: "see each benchmark's `error`",
  },
  // ── start-up ──────────────────────────────────────────────────────────────────────────────────
  config_invalid: {
    kind: 'startup',
    meaning: 'the config file or an environment variable is invalid; the message names the key',
    fix: 'fix the key the message names',
  },
  plugin_not_installed: {
    kind: 'startup',
    meaning:
      'a configured plugin package cannot be found; the message says where it looked and how to install it',
    fix: 'install it next to the config file, or remove it from the config',
  },
  plugin_invalid: {
    kind: 'startup',
    meaning:
      'a plugin is not a plugin, for another plugin API version, got invalid options, or failed to register',
    fix: 'the message names the package and the fix',
  },
  // ── tracking ──────────────────────────────────────────────────────────────────────────────────
  tracking_failed: {
    kind: 'tracking',
    meaning:
      'the tracker refused an operation that retrying cannot fix (e.g. an experiment name held by a deleted experiment)',
    fix: "fix the cause in the tracker (the message is the tracker's); the operations are kept for a retry",
  },
});

export type CoreErrorCodes = typeof CORE_ERROR_CODES;

registerErrorCodes('@evalhub/core', CORE_ERROR_CODES);
