import { PassThrough, Readable } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { isJsonContentType, locateJsonError, readJsonBody } from './body.js';
import { HttpError } from './http-error.js';

function request(body: string | Buffer, headers: Record<string, string>): IncomingMessage {
  const r = Readable.from([Buffer.from(body)]) as unknown as IncomingMessage;
  (r as { headers: Record<string, string> }).headers = headers;
  return r;
}

async function failure(p: Promise<unknown>): Promise<HttpError> {
  try {
    await p;
  } catch (err) {
    return err as HttpError;
  }
  throw new Error('expected a failure');
}

describe('locateJsonError', () => {
  it('accepts valid JSON', () => {
    for (const t of ['{}', '[]', '{"a":[1,2.5e3,-0,true,false,null,"x\\u00e9\\n"]}', ' 1 '])
      expect(locateJsonError(t)).toBeUndefined();
  });

  it('finds the position, line and column of the first error', () => {
    expect(locateJsonError('{"a":}')).toMatchObject({ position: 5, line: 1, column: 6 });
    expect(locateJsonError('{\n  "a": 1,\n  "b" 2\n}')).toMatchObject({
      line: 3,
      column: 7,
      message: "Unexpected '2'; expected ':'",
    });
    expect(locateJsonError('{"a": 1,}')?.message).toMatch(/property name/);
    expect(locateJsonError('{"a": tru}')?.message).toMatch(/expected 'true'/);
    expect(locateJsonError('{"a": "x')?.message).toBe('Unterminated string');
    expect(locateJsonError('{} x')?.message).toMatch(/after the JSON value/);
    expect(locateJsonError('{"a": 01}')).toMatchObject({ position: 7 });
    expect(locateJsonError('[1,2')?.message).toMatch(/the end of the body/);
  });
});

describe('readJsonBody', () => {
  it('parses a JSON body', async () => {
    await expect(
      readJsonBody(request('{"a":1}', { 'content-type': 'application/json; charset=utf-8' }), 100),
    ).resolves.toEqual({ a: 1 });
  });

  it('answers 415 for other content types', async () => {
    const err = await failure(
      readJsonBody(request('a=1', { 'content-type': 'application/x-www-form-urlencoded' }), 100),
    );
    expect(err.status).toBe(415);
    expect(err.message).toContain('application/x-www-form-urlencoded');
    expect((await failure(readJsonBody(request('{}', {}), 100))).status).toBe(415);
    expect(
      (
        await failure(
          readJsonBody(request('{}', { 'content-type': 'application/json; charset=latin1' }), 100),
        )
      ).status,
    ).toBe(415);
  });

  it('answers 413 over the limit, by Content-Length or while reading', async () => {
    const big = JSON.stringify({ a: 'x'.repeat(200) });
    expect(
      (
        await failure(
          readJsonBody(
            request(big, { 'content-type': 'application/json', 'content-length': String(big.length) }),
            100,
          ),
        )
      ).status,
    ).toBe(413);
    const err = await failure(readJsonBody(request(big, { 'content-type': 'application/json' }), 100));
    expect(err.status).toBe(413);
    expect(err.code).toBe('payload_too_large');
  });

  it('answers 400 with the position for malformed JSON, and for an empty body', async () => {
    const err = await failure(
      readJsonBody(request('{"model": ', { 'content-type': 'application/json' }), 100),
    );
    expect(err.status).toBe(400);
    expect(err.code).toBe('malformed_json');
    expect(err.message).toMatch(/line 1, column 11 \(position 10\)/);
    expect(
      (await failure(readJsonBody(request('  ', { 'content-type': 'application/json' }), 100))).code,
    ).toBe('body_empty');
  });

  it('answers 408 when the body does not arrive in time', async () => {
    const stalled = new PassThrough() as unknown as IncomingMessage;
    (stalled as { headers: Record<string, string> }).headers = {
      'content-type': 'application/json',
      'content-length': '1000',
    };
    (stalled as unknown as PassThrough).write('{"model":');
    const err = await failure(readJsonBody(stalled, 10_000, { timeoutMs: 20 }));
    expect(err.status).toBe(408);
    expect(err.code).toBe('request_timeout');
    expect(err.message).toMatch(/9 of 1000 bytes/);
  });

  it('answers 400 for invalid UTF-8 and for nesting beyond the depth limit', async () => {
    const json = { 'content-type': 'application/json' };
    const bad = await failure(readJsonBody(request(Buffer.from([0x22, 0xc3, 0x28, 0x22]), json), 100));
    expect([bad.status, bad.code]).toEqual([400, 'invalid_utf8']);
    expect(bad.message).toMatch(/offset 1 \(0xc3\)/);
    const deep = await failure(readJsonBody(request('{"a":{"b":[1]}}', json), 100, { maxDepth: 2 }));
    expect([deep.status, deep.code]).toEqual([400, 'body_too_deep']);
    expect(deep.details[0]!.pointer).toBe('/a/b');
    await expect(readJsonBody(request('{"a":{"b":1}}', json), 100, { maxDepth: 2 })).resolves.toEqual({
      a: { b: 1 },
    });
  });

  it('recognises JSON media types', () => {
    expect(isJsonContentType('application/json')).toBe(true);
    expect(isJsonContentType('application/merge-patch+json')).toBe(true);
    expect(isJsonContentType('text/plain')).toBe(false);
    expect(isJsonContentType(undefined)).toBe(false);
  });
});
