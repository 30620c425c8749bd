import type { Context } from 'koa';
import { QueryReader } from '../query.js';
import { API, type RouteModule } from './route-module.js';

export const HEALTH_PATH = `${API}/health`;

/** Health without `details` is public (probes); with it, it needs the API key when keys are set. */
export const isPublicHealth = (ctx: Context): boolean =>
  ctx.path === HEALTH_PATH && ctx.query.details === undefined;

/**
 * GET /api/v1/health: the status only. With details=true: every component with its detail
 * (store, tracker, providers).
 */
export const healthRoutes: RouteModule = (router, { hub }) => {
  router.get(HEALTH_PATH, async (ctx) => {
    const q = new QueryReader(ctx.query);
    const details = q.boolean('details') ?? false;
    q.done();
    const health = await hub.health();
    ctx.status = health.status === 'down' ? 503 : 200;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = details ? health : { status: health.status };
  });
};
