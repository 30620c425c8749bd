import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import Router from '@koa/router';
import {
  createHub,
  openApiDocument,
  type CreateHubOptions,
  type HubConfig,
  type Hub,
  type Logger,
} from '@evalhub/core';
import Koa, { type Context, type Next } from 'koa';
import { ApiKeyAuth } from './auth.js';
import { readJsonBody } from './body.js';
import { cors } from './cors.js';
import { renderDocsPage } from './docs-page.js';
import { HttpError, toErrorResponse } from './http-error.js';
import { ServerMetrics } from './metrics.js';
import { parseListQuery, QueryReader } from './query.js';
import { formatEvent, parseLastEventId, write } from './sse.js';

export interface AppOptions {
  /** Defaults to the hub's logger. */
  logger?: Logger;
  /** Interval of SSE heartbeat comments (ms). Default 15 000. */
  heartbeatMs?: number;
  /** Collect Node process metrics (default true). */
  processMetrics?: boolean;
}

export interface AppState {
  requestId: string;
  log: Logger;
}

/** The Koa app plus what the server needs to shut it down and to expose metrics. */
export type EvalHubApp = Koa<AppState> & {
  evalhub: {
    hub: Hub;
    metrics: ServerMetrics;
    /** End every open event stream (graceful shutdown). */
    closeStreams(): void;
  };
};

/** The folder of this package (plugins installed next to the server are found from here). */
export const SERVER_PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

const REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;
const API = '/api/v1';
/** Routes that never require an API key. */
const PUBLIC_PATHS = new Set([`${API}/health`, '/metrics']);

/** Builds the Koa app for a hub: routes of the OpenAPI document, errors, auth, CORS, metrics. */
export function createApp(hub: Hub, options: AppOptions = {}): EvalHubApp {
  const logger = options.logger ?? hub.logger;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const bodyLimit = hub.config.server.bodyLimitBytes;
  const service = hub.service;
  const metrics = new ServerMetrics(hub, { defaultMetrics: options.processMetrics ?? true });
  void metrics
    .watchUnfinished()
    .catch((err: unknown) =>
      logger.warn({ err: (err as Error).message }, 'cannot watch unfinished evaluations'),
    );
  const auth = new ApiKeyAuth(hub.config.server.apiKeys);
  const streams = new Set<AbortController>();
  const docsHtml = renderDocsPage(openApiDocument);
  const openApiJson = JSON.stringify(openApiDocument);

  const app = new Koa<AppState>() as EvalHubApp;
  app.proxy = false;
  app.silent = true;
  app.evalhub = {
    hub,
    metrics,
    closeStreams: () => {
      for (const s of streams) s.abort();
    },
  };

  // Request id, access log, metrics and the one error body.
  app.use(async (ctx: Context, next: Next) => {
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
            405,
            'method_not_allowed',
            `${ctx.method} is not allowed on ${ctx.path}. Allowed: ${allow || 'none'}.`,
            [],
            { Allow: allow },
          );
        }
        if (ctx.status === 404) {
          throw new HttpError(
            404,
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
  });

  if (hub.config.server.corsOrigins.length > 0) app.use(cors(hub.config.server.corsOrigins));

  if (auth.enabled) {
    app.use(async (ctx: Context, next: Next) => {
      if (PUBLIC_PATHS.has(ctx.path)) return next();
      const own = hub.httpHandlers.find(
        (h) => h.ownAuth === true && ctx.path.startsWith(`${h.prefix.replace(/\/$/, '')}/`),
      );
      if (own) return next();
      const key = ApiKeyAuth.presented({
        authorization: ctx.get('Authorization') || undefined,
        'x-api-key': ctx.get('X-API-Key') || undefined,
      });
      if (!auth.check(key)) {
        throw new HttpError(
          401,
          'unauthorized',
          key === undefined
            ? 'This hub requires an API key: send Authorization: Bearer <key> or X-API-Key: <key>.'
            : 'The API key is not valid for this hub.',
          [],
          { 'WWW-Authenticate': 'Bearer realm="evalhub"' },
        );
      }
      return next();
    });
  }

  // Plugin HTTP handlers (e.g. the MLflow proxy under /mlflow) own their requests completely.
  const handlers = [...hub.httpHandlers].sort((a, b) => b.prefix.length - a.prefix.length);
  if (handlers.length > 0) {
    app.use(async (ctx: Context, next: Next) => {
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
    });
  }

  const router = new Router<AppState>();
  const json = async (ctx: Context): Promise<unknown> => readJsonBody(ctx.req, bodyLimit);

  router.get('/openapi.json', (ctx) => {
    ctx.type = 'application/json';
    ctx.body = openApiJson;
  });
  router.get('/docs', (ctx) => {
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = docsHtml;
  });
  router.get('/metrics', async (ctx) => {
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  });
  router.get(`${API}/health`, async (ctx) => {
    const health = await hub.health();
    ctx.status = health.status === 'down' ? 503 : 200;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = health;
  });

  // Evaluations
  router.post(`${API}/evaluations`, async (ctx) => {
    const key = ctx.get('Idempotency-Key');
    if (ctx.headers['idempotency-key'] !== undefined && (key.length < 1 || key.length > 255)) {
      throw new HttpError(400, 'invalid_header', 'Idempotency-Key must be 1 to 255 characters.', [
        { pointer: '/Idempotency-Key', message: 'Must be 1 to 255 characters.' },
      ]);
    }
    const body = await json(ctx);
    const { evaluation, created } = await service.submit(body, {
      ...(key ? { idempotencyKey: key } : {}),
      requestId: ctx.state.requestId,
    });
    if (created) metrics.watch(evaluation.id);
    ctx.status = created ? 202 : 200;
    ctx.set('Location', `${API}/evaluations/${encodeURIComponent(evaluation.id)}`);
    ctx.body = evaluation;
  });
  router.get(`${API}/evaluations`, async (ctx) => {
    const query = parseListQuery(ctx.query);
    const page = await service.list(query);
    ctx.body = {
      items: page.items,
      ...(page.next_cursor ? { next_cursor: page.next_cursor } : {}),
      total: page.total,
    };
  });
  router.get(`${API}/evaluations/:id`, async (ctx) => {
    ctx.body = await service.get(ctx.params.id!);
  });
  router.delete(`${API}/evaluations/:id`, async (ctx) => {
    ctx.body = await service.cancel(ctx.params.id!);
  });
  router.get(`${API}/evaluations/:id/logs`, async (ctx) => {
    const q = new QueryReader(ctx.query);
    const tail = q.integer('tail', 1, 10_000);
    const benchmark = q.string('benchmark');
    q.done();
    ctx.body = await service.logs(ctx.params.id!, {
      ...(benchmark !== undefined ? { benchmark } : {}),
      ...(tail !== undefined ? { tail } : {}),
    });
  });
  router.get(`${API}/evaluations/:id/events`, async (ctx) => {
    const id = ctx.params.id!;
    const header =
      ctx.get('Last-Event-ID') ||
      (typeof ctx.query.last_event_id === 'string' ? ctx.query.last_event_id : '');
    const after = parseLastEventId(header);
    if (after === undefined) {
      throw new HttpError(
        400,
        'invalid_header',
        `Last-Event-ID must be the id of an event this stream sent (a number), got '${header.slice(0, 50)}'.`,
        [{ pointer: '/Last-Event-ID', message: 'Must be a non-negative integer.' }],
      );
    }
    await service.get(id); // 404 before the stream starts
    const abort = new AbortController();
    streams.add(abort);
    const res = ctx.res;
    const onClose = (): void => abort.abort();
    ctx.req.on('close', onClose);
    res.on('close', onClose);
    ctx.respond = false;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    const heartbeat = setInterval(
      () => void write(res, `: heartbeat ${new Date().toISOString()}\n\n`),
      heartbeatMs,
    );
    heartbeat.unref();
    try {
      await write(res, `retry: 3000\n: evaluation ${id}\n\n`);
      for await (const event of service.subscribe(id, after, abort.signal)) {
        await write(res, formatEvent(event));
        if (event.type === 'result' || abort.signal.aborted) break;
      }
    } finally {
      clearInterval(heartbeat);
      streams.delete(abort);
      ctx.req.off('close', onClose);
      res.off('close', onClose);
      if (!res.writableEnded) res.end();
    }
  });

  // Providers and benchmarks
  router.get(`${API}/providers`, (ctx) => {
    ctx.body = { items: hub.providers.list() };
  });
  router.get(`${API}/providers/:id`, (ctx) => {
    ctx.body = hub.providers.describe(ctx.params.id!);
  });
  router.get(`${API}/benchmarks`, (ctx) => {
    const q = new QueryReader(ctx.query);
    const provider = q.string('provider');
    const category = q.string('category');
    q.done();
    ctx.body = {
      items: hub.providers.allBenchmarks({
        ...(provider ? { provider } : {}),
        ...(category ? { category } : {}),
      }),
    };
  });

  // Collections
  router.get(`${API}/collections`, async (ctx) => {
    ctx.body = { items: await hub.collections.list() };
  });
  router.post(`${API}/collections`, async (ctx) => {
    const created = await hub.collections.create(await json(ctx));
    ctx.status = 201;
    ctx.set('Location', `${API}/collections/${encodeURIComponent(created.id)}`);
    ctx.body = created;
  });
  router.get(`${API}/collections/:id`, async (ctx) => {
    ctx.body = await hub.collections.get(ctx.params.id!);
  });
  router.put(`${API}/collections/:id`, async (ctx) => {
    ctx.body = await hub.collections.replace(ctx.params.id!, await json(ctx));
  });
  router.delete(`${API}/collections/:id`, async (ctx) => {
    await hub.collections.delete(ctx.params.id!);
    ctx.status = 204;
  });

  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}

export interface StartServerOptions {
  /** A hub to serve (the caller closes it), or a config to build one from (closed with the server). */
  hub?: Hub;
  config?: HubConfig;
  /** Extra createHub options when building the hub from `config`. */
  hubOptions?: Omit<CreateHubOptions, 'config'>;
  /** Default: the config's server.port (0 asks the OS for a free port). */
  port?: number;
  host?: string;
  app?: AppOptions;
}

export interface RunningServer {
  /** Base URL to reach the server (loopback when listening on all interfaces). */
  url: string;
  port: number;
  host: string;
  hub: Hub;
  server: Server;
  app: EvalHubApp;
  /** Stop accepting, end event streams, finish in-flight requests, then close the hub if it was built here. */
  close(options?: { timeoutMs?: number }): Promise<void>;
}

/** Starts the HTTP server for a hub (or for a hub built from `config`). */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  if (!options.hub && !options.config) throw new TypeError('startServer needs a hub or a config');
  const ownsHub = !options.hub;
  const hub =
    options.hub ??
    (await createHub({
      ...options.hubOptions,
      // Plugins resolve from the config file's folder, then from where the server is installed.
      resolveFrom: [...(options.hubOptions?.resolveFrom ?? []), SERVER_PACKAGE_DIR],
      config: options.config!,
    }));
  const app = createApp(hub, options.app);
  const handle = app.callback();
  const server = createServer((req, res) => {
    void handle(req, res);
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  const host = options.host ?? hub.config.server.host;
  const port = options.port ?? hub.config.server.port;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    if (ownsHub) await hub.close();
    throw err;
  }
  const address = server.address() as AddressInfo;
  const urlHost =
    host === '0.0.0.0' || host === '::' || host === ''
      ? '127.0.0.1'
      : host.includes(':')
        ? `[${host}]`
        : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${address.port}`,
    port: address.port,
    host,
    hub,
    server,
    app,
    close(closeOptions = {}) {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        app.evalhub.closeStreams();
        server.closeIdleConnections();
        // Keep-alive connections become idle as their last responses finish (event streams included).
        const idle = setInterval(() => server.closeIdleConnections(), 25);
        const timer = setTimeout(() => server.closeAllConnections(), closeOptions.timeoutMs ?? 10_000);
        timer.unref();
        await closed;
        clearInterval(idle);
        clearTimeout(timer);
        if (ownsHub) await hub.close();
      })();
      return closing;
    },
  };
}
