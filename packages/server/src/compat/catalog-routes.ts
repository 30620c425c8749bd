import { randomUUID } from 'node:crypto';
import type Router from '@koa/router';
import { assertValid, ValidationError, type Hub } from '@evalhub/core';
import type { Context } from 'koa';
import { readJsonBody } from '../body.js';
import {
  patchedRequest,
  toCollectionInput,
  toCollectionView,
  toProviderView,
  type CollectionPatch,
  type CollectionRequest,
} from './catalog-view.js';
import { route } from './errors.js';

const API = '/api/v1/evaluations';

/** eval-hub's page around a complete list (our catalogs are small and not paged). */
function page<T>(
  ctx: Context,
  items: T[],
): { first: { href: string }; limit: number; total_count: number; items: T[] } {
  return { first: { href: ctx.path }, limit: items.length, total_count: items.length, items };
}

/** Providers (read-only: they are plugins here) and collections (CRUD) in eval-hub's shapes. */
export function defineCatalogRoutes(router: Router, hub: Hub): void {
  const bodyLimit = hub.config.server.bodyLimitBytes;
  const json = (ctx: Context): Promise<unknown> => readJsonBody(ctx.req, bodyLimit);

  router.get(
    `${API}/providers`,
    route((ctx) => {
      ctx.body = page(ctx, hub.providers.list().map(toProviderView));
    }),
  );
  router.get(
    `${API}/providers/:provider_id`,
    route((ctx) => {
      ctx.body = toProviderView(hub.providers.describe(ctx.params.provider_id!));
    }),
  );

  router.get(
    `${API}/collections`,
    route(async (ctx) => {
      ctx.body = page(ctx, (await hub.collections.list()).map(toCollectionView));
    }),
  );
  router.post(
    `${API}/collections`,
    route(async (ctx) => {
      const body = assertValid<CollectionRequest>(
        'EvalHubCollectionRequest',
        await json(ctx),
        'The collection',
      );
      const created = await hub.collections.create(toCollectionInput(randomUUID(), body));
      ctx.status = 201;
      ctx.set('Location', `${API}/collections/${encodeURIComponent(created.id)}`);
      ctx.body = toCollectionView(created);
    }),
  );
  router.get(
    `${API}/collections/:collection_id`,
    route(async (ctx) => {
      ctx.body = toCollectionView(await hub.collections.get(ctx.params.collection_id!));
    }),
  );
  const replace = async (id: string, body: CollectionRequest): Promise<unknown> => {
    const { id: _id, ...update } = toCollectionInput(id, body);
    return toCollectionView(await hub.collections.replace(id, update));
  };
  router.put(
    `${API}/collections/:collection_id`,
    route(async (ctx) => {
      const body = assertValid<CollectionRequest>(
        'EvalHubCollectionRequest',
        await json(ctx),
        'The collection',
      );
      ctx.body = await replace(ctx.params.collection_id!, body);
    }),
  );
  router.patch(
    `${API}/collections/:collection_id`,
    route(async (ctx) => {
      const raw = await json(ctx);
      if (Array.isArray(raw)) {
        const message =
          'Send a JSON object with the fields to change, as the SDK does; RFC 6902 JSON-patch arrays are not supported here.';
        throw new ValidationError(message, [{ pointer: '', message }], { code: 'patch_not_supported' });
      }
      const patch = assertValid<CollectionPatch>('EvalHubCollectionPatch', raw, 'The patch');
      const id = ctx.params.collection_id!;
      const current = toCollectionView(await hub.collections.get(id));
      ctx.body = await replace(id, patchedRequest(current, patch));
    }),
  );
  router.delete(
    `${API}/collections/:collection_id`,
    route(async (ctx) => {
      await hub.collections.delete(ctx.params.collection_id!);
      ctx.status = 204;
    }),
  );
}
