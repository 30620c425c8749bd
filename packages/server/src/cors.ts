import type { Context, Next } from 'koa';

export const CORS_ALLOWED_HEADERS = [
  'Content-Type',
  'Authorization',
  'X-API-Key',
  'Idempotency-Key',
  'Last-Event-ID',
  'X-Request-Id',
];
export const CORS_EXPOSED_HEADERS = ['Location', 'X-Request-Id', 'Allow'];
const METHODS = 'GET, POST, PUT, DELETE, OPTIONS';

/**
 * CORS for the configured origins only (off when the list is empty). `*` allows any origin.
 * Preflight requests are answered here, before authentication.
 */
export function cors(origins: readonly string[]) {
  const any = origins.includes('*');
  const allowed = new Set(origins);
  return async function corsMiddleware(ctx: Context, next: Next): Promise<void> {
    const origin = ctx.get('Origin');
    if (!origin || (!any && !allowed.has(origin))) {
      if (origin) ctx.vary('Origin');
      return next();
    }
    ctx.vary('Origin');
    ctx.set('Access-Control-Allow-Origin', any ? '*' : origin);
    if (ctx.method === 'OPTIONS' && ctx.get('Access-Control-Request-Method')) {
      ctx.set('Access-Control-Allow-Methods', METHODS);
      ctx.set('Access-Control-Allow-Headers', CORS_ALLOWED_HEADERS.join(', '));
      ctx.set('Access-Control-Max-Age', '600');
      ctx.status = 204;
      return;
    }
    ctx.set('Access-Control-Expose-Headers', CORS_EXPOSED_HEADERS.join(', '));
    return next();
  };
}
