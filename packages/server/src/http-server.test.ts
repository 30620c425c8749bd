import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { fairDispatch, rawErrorResponse } from './http-server.js';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('fairDispatch', () => {
  it('starts at most perTurn handlers per event-loop turn, in arrival order', async () => {
    const started: number[] = [];
    const dispatch = fairDispatch((req) => started.push(Number(req.url)), 2);
    for (let i = 0; i < 5; i++) dispatch({ url: String(i) } as IncomingMessage, {} as ServerResponse);
    expect(started).toEqual([]);
    await turn();
    expect(started).toEqual([0, 1]);
    await turn();
    expect(started).toEqual([0, 1, 2, 3]);
    await turn();
    expect(started).toEqual([0, 1, 2, 3, 4]);
    dispatch({ url: '5' } as IncomingMessage, {} as ServerResponse);
    await turn();
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe('rawErrorResponse', () => {
  it('is a complete HTTP response with the JSON error body, closing the connection', () => {
    const text = rawErrorResponse('headers_too_large', 'Too large.');
    const [head, body] = text.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1.1 431 Request Header Fields Too Large\r\n/);
    expect(head).toContain('Connection: close');
    expect(head).toContain(`Content-Length: ${Buffer.byteLength(body!)}`);
    const parsed = JSON.parse(body!) as { error: { code: string; details: unknown[] }; request_id: string };
    expect(parsed.error).toEqual({ code: 'headers_too_large', message: 'Too large.', details: [] });
    expect(head).toContain(`X-Request-Id: ${parsed.request_id}`);
  });
});
