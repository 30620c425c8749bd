import Router from '@koa/router';
import type { Hub } from '@evalhub/core';
import type Koa from 'koa';
import { defineCatalogRoutes } from './catalog-routes.js';
import { DerivedKeys } from './derived-key.js';
import { defineJobRoutes } from './job-routes.js';

/** The whole compatible API is also served under this prefix (its health answers `status: healthy`). */
export const EVAL_HUB_PREFIX = '/eval-hub';

/** The methods each compatible collection path documents. */
const ALLOWED_AT_ROOT: readonly (readonly [string, string])[] = [
  ['/api/v1/evaluations/jobs', 'HEAD, GET, POST'],
  ['/api/v1/evaluations/providers', 'HEAD, GET'],
  ['/api/v1/evaluations/collections', 'HEAD, GET, POST'],
];

/**
 * The eval-hub-compatible API's routers: one at the root (`/api/v1/evaluations/jobs|providers|collections`
 * beside our own `/api/v1/evaluations`), and the same routes plus eval-hub's health answer under
 * EVAL_HUB_PREFIX, for clients whose health check wants `status: healthy` where ours says `ok`.
 */
export function createCompatRouters(hub: Hub): Router[] {
  const keys = new DerivedKeys();
  const root = new Router();
  const prefixed = new Router({ prefix: EVAL_HUB_PREFIX });
  prefixed.get('/api/v1/health', async (ctx) => {
    const health = await hub.health();
    ctx.status = health.status === 'down' ? 503 : 200;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = {
      status: health.status === 'down' ? 'unhealthy' : 'healthy',
      timestamp: new Date().toISOString(),
    };
  });
  for (const r of [root, prefixed]) {
    defineJobRoutes(r, hub, keys);
    defineCatalogRoutes(r, hub);
  }
  // Answered here, before the hub's own router: its /api/v1/evaluations/{id} (GET, DELETE) also
  // matches these paths and would add DELETE to the Allow header.
  for (const [path, allow] of ALLOWED_AT_ROOT)
    root.options(path, (ctx) => {
      ctx.set('Allow', allow);
      ctx.status = 200;
      ctx.body = '';
    });
  return [root, prefixed];
}

/** Mounts the eval-hub-compatible API on an app: call it before the app's own router is mounted. */
export function mountEvalHubCompat(app: Koa, hub: Hub): void {
  for (const r of createCompatRouters(hub)) app.use(r.routes());
}
