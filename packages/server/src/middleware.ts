import { randomUUID } from 'node:crypto';
import type { HttpHandler, Logger } from '@evalhub/core';
import type { Context, Middleware, Next } from 'koa';
import { ApiKeyAuth } from './auth.js';
import { HttpError, toErrorResponse } from './http-error.js';
import type { ServerMetrics } from './metrics.js';

const REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/** Request id, access log line, request metrics and the one error body for everything thrown. */
export function requestContext(logger: Logger, metrics: ServerMetrics): Middleware {
  return async (ctx: Context, next: Next) => {
    const started = performance.now();
    const incoming = ctx.get('X-Request-Id');
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    const log = logger.child({ request_id: requestId });
    ctx.state.requestId = requestId;
    ctx.state.log = log;
    ctx.set('X-Request-Id', requestId);
    try {
      await next();
      if (ctx.respond !== false && ctx.body == null) {
        if (ctx.status === 405 || ctx.status === 501) {
          const allow = String(ctx.response.get('Allow') || '');
          throw new HttpError(
            'method_not_allowed',
            `${ctx.method} is not allowed on ${ctx.path}. Allowed: ${allow || 'none'}.`,
            [],
            { Allow: allow },
          );
        }
        if (ctx.status === 404) {
          throw new HttpError(
            'route_not_found',
            `There is no route ${ctx.method} ${ctx.path}. The API is described at /docs and /openapi.json.`,
          );
        }
      }
    } catch (err) {
      const mapped = toErrorResponse(err, requestId);
      if (mapped.internal) log.error({ err, method: ctx.method, path: ctx.path }, 'request failed');
      if (ctx.respond === false || ctx.res.headersSent) {
        if (!ctx.res.writableEnded) ctx.res.end();
      } else {
        ctx.status = mapped.status;
        for (const [k, v] of Object.entries(mapped.headers)) ctx.set(k, v);
        ctx.body = mapped.body;
      }
    } finally {
      const route =
        (ctx as Context & { _matchedRoute?: string })._matchedRoute ??
        (ctx.state as { route?: string }).route ??
        'unmatched';
      const status = ctx.respond === false ? ctx.res.statusCode : ctx.status;
      const seconds = (performance.now() - started) / 1000;
      metrics.requests.inc({ method: ctx.method, route, status: String(status) });
      if (!route.endsWith('/events')) metrics.latency.observe({ method: ctx.method, route }, seconds);
      if (log.isLevelEnabled('info')) {
        log.info(
          {
            method: ctx.method,
            path: ctx.path,
            route,
            status,
            duration_ms: Math.round(seconds * 10000) / 10,
          },
          'request',
        );
      }
    }
  };
}

/** The API key check, for every route `isPublic` does not name. */
export function requireApiKey(auth: ApiKeyAuth, isPublic: (ctx: Context) => boolean): Middleware {
  return async (ctx: Context, next: Next) => {
    if (isPublic(ctx)) return next();
    const key = ApiKeyAuth.presented({
      authorization: ctx.get('Authorization') || undefined,
      'x-api-key': ctx.get('X-API-Key') || undefined,
    });
    if (!auth.check(key)) {
      throw new HttpError(
        'unauthorized',
        key === undefined
          ? 'This hub requires an API key: send Authorization: Bearer <key> or X-API-Key: <key>.'
          : 'The API key is not valid for this hub.',
        [],
        { 'WWW-Authenticate': 'Bearer realm="evalhub"' },
      );
    }
    return next();
  };
}

/** Plugin HTTP handlers (e.g. the MLflow proxy under /mlflow) own the requests under their prefix. */
export function pluginHandlers(all: readonly HttpHandler[]): Middleware {
  const handlers = [...all].sort((a, b) => b.prefix.length - a.prefix.length);
  return async (ctx: Context, next: Next) => {
    const handler = handlers.find(
      (h) => ctx.path === h.prefix || ctx.path.startsWith(`${h.prefix.replace(/\/$/, '')}/`),
    );
    if (!handler) return next();
    (ctx.state as { route?: string }).route = `${handler.prefix}/*`;
    ctx.respond = false;
    ctx.res.statusCode = 200;
    await handler.handle(ctx.req, ctx.res, {
      requestId: ctx.state.requestId,
      path: ctx.path.slice(handler.prefix.replace(/\/$/, '').length) || '/',
    });
  };
}
