import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import Router from '@koa/router';
import { createHub, type CreateHubOptions, type HubConfig, type Hub, type Logger } from '@evalhub/core';
import Koa, { type Context } from 'koa';
import { ApiKeyAuth } from './auth.js';
import { evalHubCompatRoutes } from './compat/router.js';
import { mcpRoutes } from './mcp/http.js';
import { readJsonBody } from './body.js';
import { cors } from './cors.js';
import { addAcceptHandles } from './accept-handles.js';
import { createHttpServer } from './http-server.js';
import { ServerMetrics } from './metrics.js';
import { pluginHandlers, requestContext, requireApiKey } from './middleware.js';
import { catalogRoutes } from './routes/catalog.js';
import { collectionRoutes } from './routes/collections.js';
import { docsRoutes } from './routes/docs.js';
import { evaluationRoutes } from './routes/evaluations.js';
import { healthRoutes, isPublicHealth } from './routes/health.js';
import { metricsRoutes } from './routes/metrics.js';
import type { RouteContext, RouteModule } from './routes/route-module.js';

export interface AppOptions {
  /** Defaults to the hub's logger. */
  logger?: Logger;
  /** Interval of SSE heartbeat comments (ms). Default 15 000. */
  heartbeatMs?: number;
  /** Collect Node process metrics (default true). */
  processMetrics?: boolean;
  /** Route modules mounted after the hub's own (ROUTE_MODULES). */
  routes?: readonly RouteModule[];
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

/**
 * The route modules, in mounting order (the first route that matches answers). eval-hub's API comes
 * first: its /api/v1/evaluations/jobs|providers|collections win over our /api/v1/evaluations/{id}.
 * Another module is mounted by adding it here, or per app with `AppOptions.routes`.
 */
export const ROUTE_MODULES: readonly RouteModule[] = [
  evalHubCompatRoutes,
  mcpRoutes,
  docsRoutes,
  metricsRoutes,
  healthRoutes,
  evaluationRoutes,
  catalogRoutes,
  collectionRoutes,
];

/** Routes that never require an API key: /metrics, and health without `details`. */
const isPublic = (ctx: Context): boolean => ctx.path === '/metrics' || isPublicHealth(ctx);

/** Builds the Koa app for a hub: middleware (request context, CORS, auth, plugin handlers), then the route modules. */
export function createApp(hub: Hub, options: AppOptions = {}): EvalHubApp {
  const logger = options.logger ?? hub.logger;
  const metrics = new ServerMetrics(hub, { defaultMetrics: options.processMetrics ?? true });
  const auth = new ApiKeyAuth(hub.config.server.apiKeys);
  const streams = new Set<AbortController>();

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

  app.use(requestContext(logger, metrics));
  if (hub.config.server.corsOrigins.length > 0) app.use(cors(hub.config.server.corsOrigins));
  // Plugin handlers that check their own credentials (ownAuth, e.g. the Kubernetes worker's
  // per-attempt tokens) are not behind the hub's API keys.
  const ownAuth = hub.httpHandlers
    .filter((h) => h.ownAuth === true)
    .map((h) => `${h.prefix.replace(/\/$/, '')}/`);
  const open = (ctx: Context): boolean => isPublic(ctx) || ownAuth.some((p) => ctx.path.startsWith(p));
  if (auth.enabled) app.use(requireApiKey(auth, open));
  if (hub.httpHandlers.length > 0) app.use(pluginHandlers(hub.httpHandlers));

  const router = new Router<AppState>();
  const context: RouteContext = {
    hub,
    metrics,
    json: (ctx) =>
      readJsonBody(ctx.req, hub.config.server.bodyLimitBytes, {
        timeoutMs: hub.config.server.requestTimeoutMs,
      }),
    streams,
    heartbeatMs: options.heartbeatMs ?? 15_000,
  };
  for (const mount of [...ROUTE_MODULES, ...(options.routes ?? [])]) mount(router, context);
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
  /**
   * Request handlers started in an event-loop turn that accepted a connection (default 8), so that
   * new connections keep being accepted under load (see fair-dispatch.ts). 0 starts each at once
   * (Node's default).
   */
  requestsPerTurn?: number;
  /**
   * Connections the kernel holds completed but not yet accepted (default 4096, capped by
   * net.core.somaxconn). Node's own default, 511, overflows when a thousand clients connect at once:
   * the dropped handshakes are retried by the client after 1 s and 3 s.
   */
  backlog?: number;
  /**
   * Extra listening handles on the server's socket (default 7), so that 8 connections are accepted
   * per event-loop turn instead of Node's one: a thousand clients connecting at once no longer wait
   * seconds in the accept queue (see accept-handles.ts). 0 keeps Node's single handle.
   */
  acceptHandles?: number;
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
  const server = createHttpServer(
    (req, res) => {
      void handle(req, res);
    },
    {
      requestTimeoutMs: hub.config.server.requestTimeoutMs,
      ...(options.requestsPerTurn !== undefined ? { requestsPerTurn: options.requestsPerTurn } : {}),
    },
  );
  const host = options.host ?? hub.config.server.host;
  const port = options.port ?? hub.config.server.port;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host, backlog: options.backlog ?? 4096 }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    if (ownsHub) await hub.close();
    throw err;
  }
  const accept = await addAcceptHandles(server, options.acceptHandles ?? 7);
  if (accept.count < (options.acceptHandles ?? 7))
    hub.logger.warn(
      { acceptHandles: accept.count },
      'Could not add every extra accept handle; connections are accepted more slowly under load.',
    );
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
        const closed = Promise.all([
          new Promise<void>((resolve) => server.close(() => resolve())),
          accept.close(),
        ]);
        app.evalhub.closeStreams();
        server.closeIdleConnections();
        // Keep-alive connections become idle as their last responses finish (event streams included).
        const idle = setInterval(() => server.closeIdleConnections(), 25);
        const timer = setTimeout(() => server.closeAllConnections(), closeOptions.timeoutMs ?? 10_000);
        timer.unref();
        await closed;
        clearInterval(idle);
        clearTimeout(timer);
        app.evalhub.metrics.close();
        if (ownsHub) await hub.close();
      })();
      return closing;
    },
  };
}
