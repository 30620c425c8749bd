import type { IncomingMessage } from 'node:http';
import { HttpError } from './http-error.js';

/** Where a JSON text stops being valid: offset (0-based), line and column (1-based) and what was found. */
export interface JsonSyntaxProblem {
  position: number;
  line: number;
  column: number;
  message: string;
}

/**
 * Finds the first syntax error of a JSON text with a small recursive-descent scan. Only used after
 * `JSON.parse` has failed, to tell the client exactly where (V8's messages do not always say).
 */
export function locateJsonError(text: string): JsonSyntaxProblem | undefined {
  let i = 0;
  class Stop extends Error {
    constructor(
      readonly at: number,
      readonly why: string,
    ) {
      super(why);
    }
  }
  const describe = (at: number): string => (at >= text.length ? 'the end of the body' : `'${text[at]}'`);
  const fail = (why: string, at = i): never => {
    throw new Stop(at, why);
  };
  const ws = (): void => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r'))
      i++;
  };
  const literal = (word: string): void => {
    for (let k = 0; k < word.length; k++) {
      if (text[i + k] !== word[k]) fail(`Unexpected ${describe(i + k)}; expected '${word}'`, i + k);
    }
    i += word.length;
  };
  const string = (): void => {
    i++; // opening quote
    for (;;) {
      if (i >= text.length) fail('Unterminated string');
      const ch = text.charCodeAt(i);
      if (ch === 0x22) {
        i++;
        return;
      }
      if (ch < 0x20) fail('Control character inside a string (escape it, e.g. \\n)');
      if (ch === 0x5c) {
        const next = text[i + 1];
        if (next === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail('Invalid \\u escape', i);
          i += 6;
          continue;
        }
        if (next === undefined || !'"\\/bfnrt'.includes(next)) fail('Invalid escape sequence', i);
        i += 2;
        continue;
      }
      i++;
    }
  };
  const number = (): void => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m || m[0] === '-' || m[0] === '') fail(`Unexpected ${describe(i)}; expected a value`);
    i += m![0].length;
  };
  const value = (depth: number): void => {
    if (depth > 1000) fail('Nested too deeply');
    ws();
    const ch = text[i];
    if (ch === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail(`Unexpected ${describe(i)}; expected a property name in double quotes`);
        string();
        ws();
        if (text[i] !== ':') fail(`Unexpected ${describe(i)}; expected ':'`);
        i++;
        value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail(`Unexpected ${describe(i)}; expected ',' or '}'`);
      }
    }
    if (ch === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail(`Unexpected ${describe(i)}; expected ',' or ']'`);
      }
    }
    if (ch === '"') return string();
    if (ch === 't') return literal('true');
    if (ch === 'f') return literal('false');
    if (ch === 'n') return literal('null');
    if (ch === '-' || (ch !== undefined && ch >= '0' && ch <= '9')) return number();
    fail(`Unexpected ${describe(i)}; expected a value`);
  };
  try {
    value(0);
    ws();
    if (i < text.length) fail(`Unexpected ${describe(i)} after the JSON value`);
    return undefined;
  } catch (err) {
    if (!(err instanceof Stop)) throw err;
    const before = text.slice(0, err.at);
    const line = before.split('\n').length;
    const column = err.at - before.lastIndexOf('\n');
    return { position: err.at, line, column, message: err.why };
  }
}

export function isJsonContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

/**
 * Reads and parses a JSON request body: 415 unless the content type is JSON, 413 over `limit`
 * bytes (checked against Content-Length first, then while streaming), 400 for malformed JSON with
 * the position of the problem.
 */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const contentType = req.headers['content-type'];
  if (!isJsonContentType(contentType)) {
    req.resume();
    throw new HttpError(
      415,
      'unsupported_media_type',
      contentType
        ? `The body must be JSON (Content-Type: application/json), not '${contentType.split(';')[0]!.trim()}'.`
        : 'The body must be JSON: send Content-Type: application/json.',
    );
  }
  const charset = /charset\s*=\s*"?([^";]+)/i.exec(contentType!)?.[1]?.toLowerCase();
  if (charset && charset !== 'utf-8' && charset !== 'utf8') {
    req.resume();
    throw new HttpError(
      415,
      'unsupported_media_type',
      `The body must be UTF-8 encoded JSON, not ${charset}.`,
    );
  }
  const tooLarge = (): HttpError =>
    new HttpError(413, 'payload_too_large', `The body is larger than the limit of ${limit} bytes.`, [], {
      Connection: 'close',
    });
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let overflow = false;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    if (overflow) continue;
    size += chunk.length;
    if (size > limit) {
      overflow = true;
      chunks.length = 0;
      continue;
    }
    chunks.push(chunk);
  }
  if (overflow) throw tooLarge();
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '')
    throw new HttpError(400, 'body_empty', 'The body is empty: send a JSON object.', [
      { pointer: '', message: 'Expected a JSON object.' },
    ]);
  try {
    return JSON.parse(text);
  } catch (err) {
    const problem = locateJsonError(text);
    const where = problem
      ? ` at line ${problem.line}, column ${problem.column} (position ${problem.position})`
      : '';
    const what = problem?.message ?? (err as Error).message;
    throw new HttpError(400, 'malformed_json', `The body is not valid JSON${where}: ${what}.`, [
      { pointer: '', message: `${what}${where}.` },
    ]);
  }
}
