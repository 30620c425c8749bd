import { API, type RouteModule } from './route-module.js';

/** Built-in (read-only) and user collections: /api/v1/collections[/{id}]. */
export const collectionRoutes: RouteModule = (router, { hub, json }) => {
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
};
