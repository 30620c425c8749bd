import { statusForCode, type CodeWhere, type HttpHandler, type Logger } from '@evalhub/core';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, isAbsolute, normalize, relative } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { AttemptRegistry, WorkerDone } from './attempts.js';
import './error-codes.js';

/** Where the worker's callback routes are mounted on the hub. */
export const CALLBACK_PREFIX = '/api/v1/runtime/kubernetes';
const MAX_JSON_BYTES = 4 * 1024 * 1024;

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** The one error body, with the status the code's table declares. */
function fail(
  res: ServerResponse,
  code: CodeWhere<{ kind: 'request' }>,
  message: string,
  headers?: Record<string, string>,
): void {
  send(res, statusForCode(code) ?? 500, { error: { code, message, details: [] } }, headers);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_JSON_BYTES) throw new Error('body too large');
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
}

function inside(folder: string, path: string): boolean {
  const rel = relative(folder, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/**
 * The hub side of the worker protocol, mounted through the plugin context. Every call presents the
 * attempt's token (`Authorization: Bearer`); unknown attempts answer 503 with Retry-After (the hub
 * may be restarting and re-attach), a wrong token 401.
 *
 *   GET  /attempts/<id>/spec                 command, args, env, cwd, inputs, outputs
 *   GET  /attempts/<id>/files?path=<abs>     one input file
 *   PUT  /attempts/<id>/files?path=<abs>     one output file (inside an output folder)
 *   POST /attempts/<id>/lines                {lines: [{stream, text}]} output lines as they come
 *   POST /attempts/<id>/done                 {exitCode, signal} after the outputs were sent
 */
export function createCallbackHandler(registry: AttemptRegistry, logger: Logger): HttpHandler {
  return {
    prefix: CALLBACK_PREFIX,
    description: 'Kubernetes Job worker callbacks (per-attempt token)',
    ownAuth: true,
    async handle(req, res, context) {
      // context.path is the path below the prefix, without the query: `path=` comes from req.url
      const query = new URL(req.url ?? '/', 'http://hub').searchParams;
      const m = /^\/attempts\/([a-z0-9-]{1,63})\/(spec|files|lines|done)$/.exec(context.path);
      if (!m) return fail(res, 'not_found', `No worker route ${req.method ?? ''} ${context.path}.`);
      const [, id = '', what] = m;
      const auth = req.headers.authorization;
      const token = auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
      const attempt = registry.authenticate(id, token);
      if (attempt === 'unknown')
        return fail(res, 'attempt_not_attached', `Attempt ${id} is not attached to this hub (yet); retry.`, {
          'retry-after': '2',
        });
      if (attempt === 'denied')
        return fail(res, 'unauthorized', 'The worker token is missing or wrong for this attempt.');
      try {
        if (what === 'spec' && req.method === 'GET') return send(res, 200, attempt.spec);
        if (what === 'files') {
          const path = normalize(query.get('path') ?? '');
          if (!isAbsolute(path))
            return fail(res, 'validation_error', "Query 'path' must be an absolute path.");
          if (req.method === 'GET') {
            if (!attempt.readable.has(path))
              return fail(res, 'forbidden', `'${path}' is not an input of attempt ${id}.`);
            res.writeHead(200, { 'content-type': 'application/octet-stream' });
            await pipeline(createReadStream(path), res);
            return;
          }
          if (req.method === 'PUT') {
            if (!attempt.spec.outputs.some((o) => inside(o, path)))
              return fail(res, 'forbidden', `'${path}' is outside the output folders of attempt ${id}.`);
            await mkdir(dirname(path), { recursive: true });
            const partial = `${path}.evalhub-partial`;
            await pipeline(req, createWriteStream(partial));
            await rename(partial, path);
            return send(res, 200, { ok: true });
          }
        }
        if (what === 'lines' && req.method === 'POST') {
          const body = (await readJson(req)) as { lines?: { stream?: string; text?: string }[] };
          attempt.onLines(
            (body.lines ?? []).map((l) => ({
              stream: l.stream === 'stderr' ? 'stderr' : 'stdout',
              text: String(l.text ?? ''),
            })),
          );
          return send(res, 200, { ok: true });
        }
        if (what === 'done' && req.method === 'POST') {
          const body = (await readJson(req)) as Partial<WorkerDone>;
          attempt.onDone({
            exitCode: typeof body.exitCode === 'number' ? body.exitCode : null,
            signal: typeof body.signal === 'string' ? (body.signal as NodeJS.Signals) : null,
          });
          return send(res, 200, { ok: true });
        }
        return fail(res, 'method_not_allowed', `${req.method ?? ''} is not allowed on ${what}.`);
      } catch (err) {
        logger.warn({ attempt: id, err: (err as Error).message }, 'worker callback failed');
        if (!res.headersSent)
          fail(res, 'bad_request', `The worker request could not be read: ${(err as Error).message}`);
        else res.destroy();
      }
    },
  };
}
