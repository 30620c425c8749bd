import { QueryReader } from '../query.js';
import { API, type RouteModule } from './route-module.js';

/** GET /api/v1/providers, /api/v1/providers/{id} and /api/v1/benchmarks. */
export const catalogRoutes: RouteModule = (router, { hub }) => {
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
};
