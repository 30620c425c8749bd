import { createHash } from 'node:crypto';
import Router from '@koa/router';
import {
  assertValid,
  EVALUATION_STATUSES,
  ValidationError,
  type EvaluationStatus,
  type Hub,
} from '@evalhub/core';
import type { Context } from 'koa';
import { readJsonBody } from '../body.js';
import { HttpError } from '../http-error.js';
import { QueryReader } from '../query.js';
import { DerivedKeys } from './derived-key.js';
import { rewriteForJob, route } from './errors.js';
import { hardDeleteEvaluation } from './hard-delete.js';
import { toEvaluationRequest, type JobRequest } from './job-request.js';
import { toJobView } from './job-view.js';
import { logsAsText } from './logs-text.js';

const API = '/api/v1';
const JOBS = `${API}/evaluations/jobs`;

function principalOf(ctx: Context): string {
  const who = [ctx.get('Authorization'), ctx.get('X-API-Key'), ctx.get('X-Tenant')].join('\u0000');
  return createHash('sha256').update(who).digest('hex');
}

function logQuery(ctx: Context): number {
  const q = new QueryReader(ctx.query);
  const tail = q.integer('tail_lines', 1, 10_000) ?? 1000;
  const ts = q.string('timestamps');
  if (ts !== undefined && ts !== 'true' && ts !== 'false')
    q.details.push({ pointer: '/timestamps', message: "Must be 'true' or 'false'." });
  q.integer('since_seconds', 1, Number.MAX_SAFE_INTEGER);
  q.done();
  return tail;
}

export function defineJobRoutes(router: Router, hub: Hub, keys: DerivedKeys): void {
  const service = hub.service;
  const bodyLimit = hub.config.server.bodyLimitBytes;
  const json = (ctx: Context): Promise<unknown> => readJsonBody(ctx.req, bodyLimit);
  // Jobs
  router.post(
    JOBS,
    route(async (ctx) => {
      const header = ctx.get('Idempotency-Key');
      if (ctx.headers['idempotency-key'] !== undefined && (header.length < 1 || header.length > 255)) {
        throw new HttpError('invalid_header', 'Idempotency-Key must be 1 to 255 characters.', [
          { pointer: '/Idempotency-Key', message: 'Must be 1 to 255 characters.' },
        ]);
      }
      const body = await json(ctx);
      const job = assertValid<JobRequest>('EvalHubJobRequest', body, 'The job');
      let collection;
      if (job.collection && !job.benchmarks) {
        collection = await hub.collections.find(job.collection.id);
        if (!collection) {
          throw new ValidationError(
            `Collection '${job.collection.id}' does not exist.`,
            [
              {
                pointer: '/collection/id',
                message: `Unknown collection '${job.collection.id}'. ${await hub.collections.hint()}`,
              },
            ],
            { code: 'resource_does_not_exist' },
          );
        }
      }
      const { request } = toEvaluationRequest(job, {
        modelServers: hub.config.modelServers,
        ...(collection ? { collection } : {}),
      });
      const key = header || keys.keyFor(body, principalOf(ctx));
      const { evaluation, created } = await service
        .submit(request, { idempotencyKey: key, requestId: String(ctx.state.requestId) })
        .catch((err: unknown) => {
          throw rewriteForJob(err);
        });
      ctx.status = created ? 202 : 200;
      ctx.set('Location', `${JOBS}/${encodeURIComponent(evaluation.id)}`);
      ctx.body = toJobView(evaluation);
    }),
  );
  router.get(
    JOBS,
    route(async (ctx) => {
      const q = new QueryReader(ctx.query);
      const limit = q.integer('limit', 1, 100) ?? 50;
      const offset = q.integer('offset', 0, Number.MAX_SAFE_INTEGER) ?? 0;
      const status = q.string('status');
      if (status !== undefined && !EVALUATION_STATUSES.includes(status as EvaluationStatus)) {
        q.details.push({
          pointer: '/status',
          message: `Must be one job state (${EVALUATION_STATUSES.join(', ')}); several at once ('a|b') are not supported here.`,
        });
      }
      const experiment = q.string('experiment', { maxLength: 200 });
      q.done();
      const page = await service.list({
        limit,
        offset,
        ...(status ? { status: status as EvaluationStatus } : {}),
        ...(experiment ? { experiment } : {}),
      });
      const href = (o: number): string => {
        const p = new URLSearchParams({ limit: String(limit), offset: String(o) });
        if (status) p.set('status', status);
        if (experiment) p.set('experiment', experiment);
        return `${ctx.path}?${p.toString()}`;
      };
      ctx.body = {
        first: { href: href(0) },
        ...(offset + page.items.length < page.total ? { next: { href: href(offset + limit) } } : {}),
        limit,
        total_count: page.total,
        items: page.items.map(toJobView),
      };
    }),
  );
  router.get(
    `${JOBS}/:job_id`,
    route(async (ctx) => {
      ctx.body = toJobView(await service.get(ctx.params.job_id!));
    }),
  );
  router.delete(
    `${JOBS}/:job_id`,
    route(async (ctx) => {
      const q = new QueryReader(ctx.query);
      const hard = q.string('hard_delete');
      if (hard !== undefined && hard !== 'true' && hard !== 'false')
        q.details.push({ pointer: '/hard_delete', message: "Must be 'true' or 'false'." });
      q.done();
      const id = ctx.params.job_id!;
      if (hard === 'true') await hardDeleteEvaluation(hub, id);
      else await service.cancel(id);
      ctx.status = 204;
    }),
  );
  router.get(
    `${JOBS}/:job_id/logs`,
    route(async (ctx) => {
      const tail = logQuery(ctx);
      const e = await service.get(ctx.params.job_id!);
      const logs = await service.logs(e.id, { tail });
      ctx.type = 'text/plain; charset=utf-8';
      ctx.body = logsAsText(logs, (id) => e.benchmarks.findIndex((b) => b.benchmark_id === id));
    }),
  );
  router.get(
    `${JOBS}/:job_id/benchmarks/:benchmark_index/logs`,
    route(async (ctx) => {
      const tail = logQuery(ctx);
      const raw = ctx.params.benchmark_index!;
      const e = await service.get(ctx.params.job_id!);
      const index = /^\d+$/.test(raw) ? Number(raw) : -1;
      const b = e.benchmarks[index];
      if (!b) {
        throw new HttpError(
          'benchmark_not_found',
          `Job '${e.id}' has no benchmark index '${raw.slice(0, 20)}'; its indexes are 0 to ${e.benchmarks.length - 1}.`,
        );
      }
      const logs = await service.logs(e.id, { tail, benchmark: b.benchmark_id });
      ctx.type = 'text/plain; charset=utf-8';
      ctx.body = logsAsText(logs, () => index);
    }),
  );
}
