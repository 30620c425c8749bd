import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { fairDispatch } from './fair-dispatch.js';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function recorder(perTurn: number): {
  started: number[];
  dispatch: ReturnType<typeof fairDispatch>;
  send: (n: number) => void;
} {
  const started: number[] = [];
  const dispatch = fairDispatch((req) => started.push(Number(req.url)), perTurn);
  const send = (n: number): void => dispatch({ url: String(n) } as IncomingMessage, {} as ServerResponse);
  return { started, dispatch, send };
}

describe('fairDispatch', () => {
  it('starts at most perTurn handlers in a turn that accepted a connection, in arrival order', async () => {
    const { started, dispatch, send } = recorder(2);
    for (let i = 0; i < 5; i++) send(i);
    dispatch.accepted();
    expect(started).toEqual([]);
    await turn();
    expect(started).toEqual([0, 1]);
    dispatch.accepted();
    await turn();
    expect(started).toEqual([0, 1, 2, 3]);
    dispatch.accepted();
    await turn();
    expect(started).toEqual([0, 1, 2, 3, 4]);
  });

  it('starts every queued handler in a turn that accepted none', async () => {
    const { started, dispatch, send } = recorder(2);
    for (let i = 0; i < 5; i++) send(i);
    dispatch.accepted();
    await turn();
    expect(started).toEqual([0, 1]);
    await turn();
    expect(started).toEqual([0, 1, 2, 3, 4]);
    send(5);
    await turn();
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
  });
});
