import { compareEvaluations, DEFAULT_TOLERANCE } from '@evalhub/core';
import { HttpError } from '../http-error.js';
import { parseListQuery, QueryReader } from '../query.js';
import { formatEvent, parseLastEventId, write } from '../sse.js';
import { API, type RouteModule } from './route-module.js';

/** Submit, list, read and cancel evaluations; their logs and their event stream (SSE). */
export const evaluationRoutes: RouteModule = (router, { hub, json, streams, heartbeatMs }) => {
  const service = hub.service;
  router.post(`${API}/evaluations`, async (ctx) => {
    const key = ctx.get('Idempotency-Key');
    if (ctx.headers['idempotency-key'] !== undefined && (key.length < 1 || key.length > 255)) {
      throw new HttpError('invalid_header', 'Idempotency-Key must be 1 to 255 characters.', [
        { pointer: '/Idempotency-Key', message: 'Must be 1 to 255 characters.' },
      ]);
    }
    const body = await json(ctx);
    const { evaluation, created } = await service.submit(body, {
      ...(key ? { idempotencyKey: key } : {}),
      requestId: ctx.state.requestId,
    });
    ctx.status = created ? 202 : 200;
    ctx.set('Location', `${API}/evaluations/${encodeURIComponent(evaluation.id)}`);
    ctx.body = evaluation;
  });
  router.get(`${API}/evaluations`, async (ctx) => {
    const query = parseListQuery(ctx.query);
    const page = await service.list(query);
    ctx.body = {
      items: page.items,
      ...(page.next_cursor ? { next_cursor: page.next_cursor } : {}),
      total: page.total,
    };
  });
  router.get(`${API}/evaluations/:id`, async (ctx) => {
    ctx.body = await service.get(ctx.params.id!);
  });
  router.delete(`${API}/evaluations/:id`, async (ctx) => {
    ctx.body = await service.cancel(ctx.params.id!);
  });
  router.get(`${API}/evaluations/:id/compare`, async (ctx) => {
    const q = new QueryReader(ctx.query);
    const other = q.string('with', { maxLength: 200 });
    if ((other === undefined || other === '') && !q.details.length)
      q.details.push({
        pointer: '/with',
        message: 'Name the evaluation to compare with: ?with=<evaluation id>.',
      });
    const raw = q.string('tolerance');
    const tolerance = raw === undefined ? DEFAULT_TOLERANCE : Number(raw);
    if (
      raw !== undefined &&
      (raw.trim() === '' || !Number.isFinite(tolerance) || tolerance < 0 || tolerance > 1e6)
    )
      q.details.push({
        pointer: '/tolerance',
        message: `Must be a number from 0 to 1000000, got '${raw.slice(0, 50)}'.`,
      });
    q.done();
    const [a, b] = await Promise.all([service.get(ctx.params.id!), service.get(other!)]);
    ctx.body = compareEvaluations(a, b, tolerance);
  });
  router.get(`${API}/evaluations/:id/logs`, async (ctx) => {
    const q = new QueryReader(ctx.query);
    const tail = q.integer('tail', 1, 10_000);
    const benchmark = q.string('benchmark');
    q.done();
    ctx.body = await service.logs(ctx.params.id!, {
      ...(benchmark !== undefined ? { benchmark } : {}),
      ...(tail !== undefined ? { tail } : {}),
    });
  });
  router.get(`${API}/evaluations/:id/events`, async (ctx) => {
    const id = ctx.params.id!;
    const sent = ctx.headers['last-event-id'] ?? ctx.query.last_event_id;
    const after = typeof sent === 'string' || sent === undefined ? parseLastEventId(sent) : undefined;
    if (after === undefined) {
      throw new HttpError(
        'invalid_header',
        `Last-Event-ID must be the id of an event this stream sent (a number), got '${String(sent).slice(0, 50)}'.`,
        [{ pointer: '/Last-Event-ID', message: 'Must be a non-negative integer.' }],
      );
    }
    await service.get(id); // 404 before the stream starts
    const abort = new AbortController();
    streams.add(abort);
    const res = ctx.res;
    const onClose = (): void => abort.abort();
    ctx.req.on('close', onClose);
    res.on('close', onClose);
    ctx.respond = false;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    const heartbeat = setInterval(
      () => void write(res, `: heartbeat ${new Date().toISOString()}\n\n`),
      heartbeatMs,
    );
    heartbeat.unref();
    try {
      await write(res, `retry: 3000\n: evaluation ${id}\n\n`);
      for await (const event of service.subscribe(id, after, abort.signal)) {
        await write(res, formatEvent(event));
        if (event.type === 'result' || abort.signal.aborted) break;
      }
    } finally {
      clearInterval(heartbeat);
      streams.delete(abort);
      ctx.req.off('close', onClose);
      res.off('close', onClose);
      if (!res.writableEnded) res.end();
    }
  });
};
