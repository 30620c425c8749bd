import { describe, expect, it } from 'vitest';
import { rawErrorResponse } from './http-server.js';

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
