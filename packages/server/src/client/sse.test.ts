import { describe, expect, it } from 'vitest';
import { readSse, type SseMessage } from './sse.js';

async function read(chunks: string[]): Promise<SseMessage[]> {
  const body = (async function* () {
    for (const c of chunks) yield new TextEncoder().encode(c);
  })();
  const out: SseMessage[] = [];
  for await (const m of readSse(body)) out.push(m);
  return out;
}

describe('readSse', () => {
  it('reads id, event and data, skipping comments and messages without data', async () => {
    expect(
      await read([
        'retry: 3000\n: evaluation e\n\n',
        'id: 1\nevent: status\ndata: {"a":1}\n\n',
        ': heartbeat\n\n',
      ]),
    ).toEqual([{ id: '1', event: 'status', data: '{"a":1}' }]);
  });

  it('joins data lines and handles \\r\\n and chunks split anywhere, even inside \\r\\n', async () => {
    expect(await read(['id: 2\r', '\ndata: a\r\nda', 'ta: b\r\n\r', '\n'])).toEqual([
      { id: '2', data: 'a\nb' },
    ]);
  });

  it('ends the last message at the end of the stream', async () => {
    expect(await read(['data:x'])).toEqual([{ data: 'x' }]);
  });
});
