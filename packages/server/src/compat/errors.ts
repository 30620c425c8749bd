import { EvalHubError, isEvalHubError, type ErrorCode, type ErrorDetail } from '@evalhub/core';
import type { Context } from 'koa';
import { toErrorResponse } from '../http-error.js';

/** eval-hub's message codes for our error codes where they have an equivalent. */
const MESSAGE_CODES: Partial<Record<ErrorCode, string>> = {
  not_found: 'resource_not_found',
  validation_failed: 'request_validation_failed',
  malformed_json: 'invalid_json_request',
  invalid_query: 'query_bad_parameter',
  evaluation_finished: 'job_can_not_be_updated',
};

/** Our pointer into the mapped EvaluationRequest → the same place in the eval-hub job the client sent. */
export function toJobPointer(pointer: string): string {
  return pointer
    .replace(/^\/model\/configuration/, '/model/parameters')
    .replace(/^\/model\/server$/, '/model/url')
    .replace(/^\/benchmarks\/(\d+)\/config/, '/benchmarks/$1/parameters')
    .replace(/^\/benchmarks\/(\d+)\/benchmark_id$/, '/benchmarks/$1/id')
    .replace(/^\/collection_id/, '/collection/id')
    .replace(/^\/experiment\/tags\/.*/, '/experiment/tags');
}

/** A hub error pointing into our request (e.g. `validation_failed`), re-pointed at the eval-hub job's fields. */
export function rewriteForJob(err: unknown): unknown {
  if (!isEvalHubError(err) || err.details.length === 0) return err;
  const details: ErrorDetail[] = err.details.map((d) => ({ ...d, pointer: toJobPointer(d.pointer) }));
  return new EvalHubError(err.code, err.message, {
    details,
    headers: err.headers,
    cause: err,
    ...(err.preferredStatus === undefined ? {} : { status: err.preferredStatus }),
  });
}

/**
 * Runs a compatible-API handler and answers its errors in both shapes at once: ours
 * (`error{code, message, details}`, `request_id`) and eval-hub's (`message_code`, `message`, `trace`),
 * which the SDK reads (e.g. JobCanNotBeCancelledError's reason).
 */
export async function answerErrors(ctx: Context, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (err) {
    const requestId = String((ctx.state as { requestId?: string }).requestId ?? '');
    const mapped = toErrorResponse(err, requestId);
    if (mapped.internal) throw err; // the app's middleware logs it and answers 500
    const code = mapped.body.error.code;
    const details = mapped.body.error.details;
    const where = details[0]?.pointer ? ` (${details[0].pointer})` : '';
    ctx.status = mapped.status;
    for (const [k, v] of Object.entries(mapped.headers)) ctx.set(k, v);
    ctx.body = {
      message_code:
        MESSAGE_CODES[code as ErrorCode] ??
        (isEvalHubError(err) && mapped.status === 404 ? 'resource_not_found' : code),
      message: `${mapped.body.error.message}${mapped.status === 400 && where && !mapped.body.error.message.includes(where) ? where : ''}`,
      trace: requestId,
      ...mapped.body,
    };
  }
}

/** A route handler whose errors are answered by answerErrors. */
export const route =
  (fn: (ctx: Context) => Promise<void> | void) =>
  (ctx: Context): Promise<void> =>
    answerErrors(ctx, async () => fn(ctx));
