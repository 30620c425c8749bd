import { PassThrough } from 'node:stream';
import type { ServerResponse } from 'node:http';
import type { EvaluationEvent } from '@evalhub/core';
import { describe, expect, it } from 'vitest';
import { formatEvent, parseLastEventId, write } from './sse.js';

describe('server-sent events', () => {
  it('formats an event with its seq as id and its type as event name', () => {
    const event: EvaluationEvent = {
      seq: 7,
      type: 'log',
      evaluation_id: 'e',
      time: '2026-01-01T00:00:00.000Z',
      line: 'a\nb',
    };
    const text = formatEvent(event);
    expect(text).toBe(`id: 7\nevent: log\ndata: ${JSON.stringify(event)}\n\n`);
    // JSON escapes newlines, so one data line carries the whole event.
    expect(text.split('\n').filter((l) => l.startsWith('data:'))).toHaveLength(1);
  });

  it('reads Last-Event-ID', () => {
    expect(parseLastEventId(undefined)).toBe(0);
    // Sent but empty: not an id this stream sent (the OpenAPI pattern says 1 to 15 digits).
    expect(parseLastEventId('')).toBeUndefined();
    expect(parseLastEventId(' 12 ')).toBe(12);
    expect(parseLastEventId('-1')).toBeUndefined();
    expect(parseLastEventId('1e3')).toBeUndefined();
    expect(parseLastEventId('9'.repeat(16))).toBeUndefined();
  });

  it('waits for drain under backpressure and gives up on a closed connection', async () => {
    const stream = new PassThrough({ highWaterMark: 4 });
    const res = stream as unknown as ServerResponse;
    let done = false;
    const p = write(res, 'more than four bytes').then(() => (done = true));
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(false);
    stream.read();
    await p;
    expect(done).toBe(true);
    stream.destroy();
    await expect(write(res, 'x')).resolves.toBeUndefined();
  });
});
