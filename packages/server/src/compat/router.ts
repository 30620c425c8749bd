import Router from '@koa/router';
import type { Hub } from '@evalhub/core';
import { defineCatalogRoutes } from './catalog-routes.js';
import { DerivedKeys } from './derived-key.js';
import { defineJobRoutes } from './job-routes.js';
import type { RouteModule } from '../routes/route-module.js';

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

/**
 * The eval-hub-compatible API as a route module. Mount it before the hub's own evaluation routes:
 * the first matching route answers, and eval-hub's /api/v1/evaluations/jobs|providers|collections
 * must win over our /api/v1/evaluations/{id}.
 */
export const evalHubCompatRoutes: RouteModule = (router, { hub }) => {
  for (const r of createCompatRouters(hub)) router.use(r.routes());
};
