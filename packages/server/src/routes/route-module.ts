import type Router from '@koa/router';
import type { Hub } from '@evalhub/core';
import type { Context } from 'koa';
import type { AppState } from '../app.js';
import type { ServerMetrics } from '../metrics.js';

/** What every route module gets from the app. */
export interface RouteContext {
  hub: Hub;
  metrics: ServerMetrics;
  /** Reads the request's JSON body with the hub's limits (size, time, depth, UTF-8). */
  json(ctx: Context): Promise<unknown>;
  /** Open event streams; the app ends them on shutdown. */
  streams: Set<AbortController>;
  /** Interval of SSE heartbeat comments (ms). */
  heartbeatMs: number;
}

/**
 * A group of routes for one resource: it adds its routes to the app's router. Mounting another one
 * (an eval-hub-compatible API, an MCP endpoint) is one entry in `createApp`'s `routes` option or in
 * ROUTE_MODULES (app.ts).
 */
export type RouteModule = (router: Router<AppState>, context: RouteContext) => void;

export const API = '/api/v1';
