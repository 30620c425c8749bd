import { openApiDocument } from '@evalhub/core';
import { renderDocsPage } from '../docs-page.js';
import type { RouteModule } from './route-module.js';

/** GET /openapi.json (the contract) and GET /docs (the same as a page). */
export const docsRoutes: RouteModule = (router) => {
  const openApiJson = JSON.stringify(openApiDocument);
  const docsHtml = renderDocsPage(openApiDocument);
  router.get('/openapi.json', (ctx) => {
    ctx.type = 'application/json';
    ctx.body = openApiJson;
  });
  router.get('/docs', (ctx) => {
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = docsHtml;
  });
};
