import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { HttpHandler, Logger } from '@evalhub/core';
import { request, type Dispatcher } from 'undici';
import type { MlflowClient } from '../client/client.js';
import { MLFLOW_ERROR_CODES, type MlflowErrorCode } from '../error-codes.js';

export interface MlflowProxyOptions {
  /** Path prefix the hub mounts the proxy under. Default `/mlflow`. */
  prefix?: string;
  /** Forward MLflow write calls too (POST/PUT/DELETE/PATCH). Default false: read-only. */
  allowWrites?: boolean;
  /** Upstream timeout for headers and body, ms. Default 60 000. */
  timeoutMs?: number;
  logger?: Logger;
}

// Read endpoints of the tracking API (GET). `ajax-api` is the UI's alias of `api`.
const READ_GET = new RegExp(
  '^/(?:ajax-)?api/2\\.0/mlflow/(?:' +
    [
      'experiments/get',
      'experiments/get-by-name',
      'experiments/search',
      'runs/get',
      'metrics/get-history',
      'metrics/get-history-bulk',
      'metrics/get-history-bulk-interval',
      'artifacts/list',
    ].join('|') +
    ')$',
);
// Searches are POSTs but read nothing else.
const READ_POST = /^\/(?:ajax-)?api\/2\.0\/mlflow\/(?:runs\/search|experiments\/search)$/;
// Proxied artifacts: list (no trailing path) and download.
const ARTIFACTS = /^\/(?:ajax-)?api\/2\.0\/mlflow-artifacts\/artifacts(?:\/[^?]*)?$/;
// The UI's artifact download route and server probes.
const MISC_GET = /^\/(?:get-artifact|health|version)$/;
// What writes may reach when allowed: the tracking and artifact APIs, nothing else.
const WRITABLE = /^\/(?:ajax-)?api\/[23]\.0\/(?:mlflow|mlflow-artifacts)\//;

/** Hop-by-hop headers (RFC 9110 §7.6.1) plus what must not cross the proxy in either direction. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
]);
/** The client's own credentials for the hub, and browser headers MLflow's CSRF guard reacts to. */
const REQUEST_DROP = new Set([
  'authorization',
  'x-api-key',
  'cookie',
  'origin',
  'referer',
  'x-mlflow-workspace',
  'expect',
]);
/** MLflow's auth challenges and cookies stay behind the proxy: clients never deal with MLflow credentials. */
const RESPONSE_DROP = new Set(['set-cookie', 'www-authenticate']);

function stripHeaders(
  headers: Record<string, string | string[] | undefined>,
  drop: Set<string>,
): Record<string, string | string[]> {
  const connectionListed = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) {
    const key = k.toLowerCase();
    if (v === undefined || HOP_BY_HOP.has(key) || drop.has(key) || connectionListed.has(key)) continue;
    out[key] = v;
  }
  return out;
}

/** Answers with the one error body; the status is the one MLFLOW_ERROR_CODES declares for `code`. */
function sendError(res: ServerResponse, code: MlflowErrorCode, message: string, requestId: string): void {
  const status = MLFLOW_ERROR_CODES[code].status;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: { code, message, details: [] }, request_id: requestId });
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'x-request-id': requestId,
    'cache-control': 'no-store',
  });
  res.end(body);
}

/**
 * Splits the request target into the path after the prefix and the raw query, refusing anything
 * that could leave the tracking server: absolute-form targets, `..`/`.` segments, encoded dots,
 * slashes or backslashes, empty segments. Returns a reason string when refused.
 */
export function parseTarget(rawUrl: string, prefix: string): { path: string; query: string } | string {
  if (!rawUrl.startsWith('/')) return 'absolute-form request targets are not proxied';
  const q = rawUrl.indexOf('?');
  let path = q >= 0 ? rawUrl.slice(0, q) : rawUrl;
  const query = q >= 0 ? rawUrl.slice(q) : '';
  if (path === prefix || path.startsWith(`${prefix}/`)) path = path.slice(prefix.length);
  if (path === '') path = '/';
  if (/%2e|%2f|%5c|\\|#/i.test(path))
    return 'encoded dots, slashes and backslashes are not allowed in the path';
  const segments = path.split('/').slice(1);
  if (segments.some((s, i) => s === '..' || s === '.' || (s === '' && i < segments.length - 1))) {
    return "'.', '..' and empty path segments are not allowed";
  }
  // eslint-disable-next-line no-control-regex -- rejecting control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(path)) return 'control characters are not allowed in the path';
  return { path, query };
}

/** Whether a method+path may be forwarded. */
export function isAllowed(method: string, path: string, allowWrites: boolean): boolean {
  if (method === 'GET' || method === 'HEAD')
    return READ_GET.test(path) || ARTIFACTS.test(path) || MISC_GET.test(path);
  if (method === 'POST' && READ_POST.test(path)) return true;
  if (allowWrites && ['POST', 'PUT', 'DELETE', 'PATCH'].includes(method)) return WRITABLE.test(path);
  return false;
}

/**
 * The `/mlflow` proxy: forwards MLflow API calls to the configured tracking server with the hub's
 * MLflow credentials, so clients and dashboards read experiments, runs, metric history and
 * artifacts through the hub without MLflow credentials of their own. Read-only by default; bodies
 * are streamed both ways; never forwards anywhere but the tracking server.
 */
export function createMlflowProxy(client: MlflowClient, options: MlflowProxyOptions = {}): HttpHandler {
  const prefix = (options.prefix ?? '/mlflow').replace(/\/+$/, '');
  const allowWrites = options.allowWrites === true;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const base = client.trackingUri; // origin + optional path prefix, no trailing slash, no credentials
  const origin = new URL(base).origin;
  const dispatcher: Dispatcher = client.http.dispatcher;

  return {
    prefix,
    description: `Read${allowWrites ? '/write' : '-only'} proxy to the MLflow tracking server ${origin}`,
    async handle(req: IncomingMessage, res: ServerResponse, context: { requestId: string; path: string }) {
      const requestId = context.requestId;
      const method = (req.method ?? 'GET').toUpperCase();
      const target = parseTarget(req.url ?? context.path, prefix);
      if (typeof target === 'string') {
        sendError(
          res,
          'mlflow_proxy_bad_path',
          `The MLflow proxy refused the request: ${target}.`,
          requestId,
        );
        return;
      }
      if (!isAllowed(method, target.path, allowWrites)) {
        const hint = allowWrites
          ? 'Only the MLflow tracking and artifact APIs are proxied.'
          : "The proxy is read-only: it forwards reads of experiments, runs, metric history and artifacts. Set 'proxy_allow_writes: true' in the MLflow tracker options to forward writes.";
        sendError(
          res,
          'mlflow_proxy_forbidden',
          `${method} ${target.path} is not allowed through the MLflow proxy. ${hint}`,
          requestId,
        );
        return;
      }
      const url = `${base}${target.path}${target.query}`;
      // The URL is the configured server's: nothing in the request can change its origin.
      if (new URL(url).origin !== origin) {
        sendError(
          res,
          'mlflow_proxy_bad_path',
          'The MLflow proxy refused the request: it would leave the tracking server.',
          requestId,
        );
        return;
      }
      const headers = {
        ...stripHeaders(req.headers, REQUEST_DROP),
        ...client.http.credentialHeaders(),
        'x-request-id': requestId,
      };
      const hasBody = method !== 'GET' && method !== 'HEAD';
      let upstream: Dispatcher.ResponseData;
      try {
        upstream = await request(url, {
          method: method as Dispatcher.HttpMethod,
          headers,
          body: hasBody ? req : null,
          dispatcher,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        });
      } catch (err) {
        const code = (err as { code?: string }).code ?? (err as { cause?: { code?: string } }).cause?.code;
        const timeout = code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT';
        options.logger?.warn(
          { request_id: requestId, code, path: target.path },
          'mlflow proxy upstream failed',
        );
        sendError(
          res,
          timeout ? 'mlflow_timeout' : 'mlflow_unreachable',
          `MLflow at ${origin} ${timeout ? 'did not answer in time' : 'is unreachable'}${code ? ` (${code})` : ''}. Check that the tracking server is running and reachable from the hub.`,
          requestId,
        );
        return;
      }
      res.writeHead(upstream.statusCode, {
        ...stripHeaders(upstream.headers, RESPONSE_DROP),
        'x-request-id': requestId,
      });
      try {
        await pipeline(upstream.body, res);
      } catch (err) {
        options.logger?.warn(
          { request_id: requestId, err: (err as Error).message },
          'mlflow proxy stream interrupted',
        );
        res.destroy();
      }
    },
  };
}
