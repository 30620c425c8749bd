/** Reading engine requests and writing the gateway's own answers. */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The request body is over the gateway's limit (answered 413). */
export class BodyTooLargeError extends Error {}

/** The whole request body, refusing more than `max` bytes. */
export async function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) throw new BodyTooLargeError();
    chunks.push(chunk as Buffer);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/** An OpenAI-style error body from the gateway itself (engines show `error.message`). */
export function sendError(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify({ error: { message, type: 'gateway_error', param: null, code: status } });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Token counts from an answer's `usage`, when it has one. */
export function usageOf(body: Buffer): { promptTokens?: number; completionTokens?: number } {
  try {
    const usage = (JSON.parse(body.toString('utf8')) as { usage?: Record<string, unknown> }).usage;
    const n = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
    return { promptTokens: n(usage?.['prompt_tokens']), completionTokens: n(usage?.['completion_tokens']) };
  } catch {
    return {};
  }
}
