import type { RouteModule } from './route-module.js';

/** GET /metrics: Prometheus text format (public, like health without details). */
export const metricsRoutes: RouteModule = (router, { metrics }) => {
  router.get('/metrics', async (ctx) => {
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  });
};
