import type { ServerResponse } from 'node:http';
import type { EvaluationEvent } from '@evalhub/core';

/** One Server-Sent Event: `id:` is the event's seq, `event:` its type, `data:` the JSON. */
export function formatEvent(event: EvaluationEvent): string {
  return `id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/** `Last-Event-ID` → the seq to resume after: 0 when absent, undefined (refuse) when not 1–15 digits. */
export function parseLastEventId(value: string | undefined): number | undefined {
  if (value === undefined) return 0;
  const v = value.trim();
  if (!/^\d{1,15}$/.test(v)) return undefined;
  return Number(v);
}

/** Write with backpressure: resolves once the chunk is accepted or the connection is gone. */
export function write(res: ServerResponse, chunk: string): Promise<void> {
  if (res.destroyed || res.writableEnded) return Promise.resolve();
  if (res.write(chunk)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
}
