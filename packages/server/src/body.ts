import type { IncomingMessage } from 'node:http';
import { isUtf8 } from 'node:buffer';
import { HttpError } from './http-error.js';
import { findInvalidUtf8, findTooDeep, locateJsonError, MAX_JSON_DEPTH, pointerOfByte } from './json-text.js';

export { locateJsonError, type JsonSyntaxProblem } from './json-text.js';

export function isJsonContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

export interface ReadBodyOptions {
  /** Time the client has to send the whole body (ms); then 408 and the connection closes. */
  timeoutMs?: number;
  /** Deepest nesting allowed (default MAX_JSON_DEPTH). */
  maxDepth?: number;
}

/** Collects the body's bytes: 413 over `limit` (after draining), 408 when it does not arrive in time. */
function collect(req: IncomingMessage, limit: number, timeoutMs: number | undefined): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let overflow = false;
    const finish = (err?: Error): void => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      if (err) reject(err);
      else resolve(Buffer.concat(chunks));
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (overflow) return;
      if (size > limit) {
        overflow = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => finish(overflow ? tooLarge(limit) : undefined);
    const onError = (err: Error): void => finish(err);
    const onClose = (): void => {
      if (!req.complete) finish(new Error('The client closed the connection while sending the body.'));
    };
    const declared = req.headers['content-length'];
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            req.pause();
            finish(
              new HttpError(
                'request_timeout',
                `The body did not arrive within ${timeoutMs} ms (server.request_timeout_ms): ${size} of ${declared ?? 'an unknown number of'} bytes came. Send the whole body without pausing.`,
                [],
                { Connection: 'close' },
              ),
            );
          }, timeoutMs);
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onError);
    req.once('close', onClose);
  });
}

const tooLarge = (limit: number): HttpError =>
  new HttpError('payload_too_large', `The body is larger than the limit of ${limit} bytes.`, [], {
    Connection: 'close',
  });

/**
 * Reads and parses a JSON request body: 415 unless the content type is JSON, 413 over `limit`
 * bytes (checked against Content-Length first, then while streaming), 408 when the body does not
 * arrive within `timeoutMs`, 400 for invalid UTF-8, for malformed JSON (with the position of the
 * problem) and for nesting deeper than `maxDepth` (with the pointer of the first value too deep).
 */
export async function readJsonBody(
  req: IncomingMessage,
  limit: number,
  options: ReadBodyOptions = {},
): Promise<unknown> {
  const contentType = req.headers['content-type'];
  if (!isJsonContentType(contentType)) {
    req.resume();
    throw new HttpError(
      'unsupported_media_type',
      contentType
        ? `The body must be JSON (Content-Type: application/json), not '${contentType.split(';')[0]!.trim()}'.`
        : 'The body must be JSON: send Content-Type: application/json.',
    );
  }
  const charset = /charset\s*=\s*"?([^";]+)/i.exec(contentType!)?.[1]?.toLowerCase();
  if (charset && charset !== 'utf-8' && charset !== 'utf8') {
    req.resume();
    throw new HttpError('unsupported_media_type', `The body must be UTF-8 encoded JSON, not ${charset}.`);
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    throw tooLarge(limit);
  }
  const bytes = await collect(req, limit, options.timeoutMs);
  if (!isUtf8(bytes)) {
    const at = findInvalidUtf8(bytes) ?? 0;
    const pointer = pointerOfByte(bytes, at);
    const where = pointer === '' ? '' : ` in ${pointer}`;
    throw new HttpError(
      'invalid_utf8',
      `The body is not valid UTF-8${where}: the byte at offset ${at} (0x${(bytes[at] ?? 0).toString(16).padStart(2, '0')}) does not start or continue a character. Send JSON encoded as UTF-8.`,
      [{ pointer, message: `Invalid UTF-8 at byte ${at}.` }],
    );
  }
  const text = bytes.toString('utf8');
  if (text.trim() === '')
    throw new HttpError('body_empty', 'The body is empty: send a JSON object.', [
      { pointer: '', message: 'Expected a JSON object.' },
    ]);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const problem = locateJsonError(text);
    const where = problem
      ? ` at line ${problem.line}, column ${problem.column} (position ${problem.position})`
      : '';
    const what = problem?.message ?? (err as Error).message;
    throw new HttpError('malformed_json', `The body is not valid JSON${where}: ${what}.`, [
      { pointer: '', message: `${what}${where}.` },
    ]);
  }
  const maxDepth = options.maxDepth ?? MAX_JSON_DEPTH;
  const deep = findTooDeep(value, maxDepth);
  if (deep !== undefined) {
    throw new HttpError(
      'body_too_deep',
      `The body nests arrays and objects more than ${maxDepth} levels deep (at ${deep.slice(0, 200)}${deep.length > 200 ? '…' : ''}); flatten it.`,
      [{ pointer: deep.slice(0, 1000), message: `Nested more than ${maxDepth} levels deep.` }],
    );
  }
  return value;
}
