/** One Server-Sent Events message: its `id:`, `event:` and the joined `data:` lines. */
export interface SseMessage {
  id?: string;
  event?: string;
  data: string;
}

/**
 * Reads an `text/event-stream` body into messages (the WHATWG rules the hub's streams need: `\n`,
 * `\r\n` or `\r` line ends, `field: value` with one optional space, comment lines starting with `:`,
 * data lines joined with `\n`, a blank line ending a message; messages without data are skipped).
 */
export async function* readSse(
  body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  let buffer = '';
  let message: { id?: string; event?: string; data: string[] } = { data: [] };
  const take = function* (line: string): Generator<SseMessage> {
    if (line === '') {
      if (message.data.length > 0) {
        yield {
          ...(message.id !== undefined ? { id: message.id } : {}),
          ...(message.event !== undefined ? { event: message.event } : {}),
          data: message.data.join('\n'),
        };
      }
      message = { data: [] };
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') message.data.push(value);
    else if (field === 'id') message.id = value;
    else if (field === 'event') message.event = value;
  };
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let at: number;
    while ((at = buffer.search(/\r\n|\r|\n/)) >= 0) {
      // A lone \r at the end of a chunk may be the first half of \r\n: wait for the next chunk.
      if (buffer[at] === '\r' && at === buffer.length - 1) break;
      const line = buffer.slice(0, at);
      buffer = buffer.slice(at + (buffer.startsWith('\r\n', at) ? 2 : 1));
      yield* take(line);
    }
  }
  buffer += decoder.decode();
  if (buffer !== '') yield* take(buffer.replace(/\r$/, ''));
  yield* take('');
}
