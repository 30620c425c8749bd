import { createServer, request, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { addAcceptHandles, type AcceptHandles } from './accept-handles.js';

let server: Server | undefined;
let extra: AcceptHandles | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await extra?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = extra = undefined;
});

async function listening(): Promise<number> {
  server = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server!.listen({ port: 0, host: '127.0.0.1' }, resolve));
  return (server.address() as AddressInfo).port;
}

function get(port: number): Promise<string> {
  return new Promise((resolve, reject) =>
    request({ port, host: '127.0.0.1', agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(body));
    })
      .on('error', reject)
      .end(),
  );
}

/** The most connections the server accepted in one event-loop turn, after `n` clients queued up. */
async function acceptsPerTurn(port: number, n: number): Promise<number> {
  let turn = 0;
  let ticking = true;
  const tick = (): void => {
    turn++;
    if (ticking) setImmediate(tick);
  };
  const perTurn = new Map<number, number>();
  let accepted = 0;
  const all = new Promise<void>((resolve) =>
    server!.on('connection', () => {
      perTurn.set(turn, (perTurn.get(turn) ?? 0) + 1);
      if (++accepted === n) resolve();
    }),
  );
  for (let i = 0; i < n; i++) sockets.push(connect(port, '127.0.0.1'));
  // Hold the loop so that every handshake completes and waits in the kernel's accept queue.
  const until = Date.now() + 200;
  while (Date.now() < until);
  tick();
  await all;
  ticking = false;
  return Math.max(...perTurn.values());
}

describe('addAcceptHandles', () => {
  it('accepts one connection per turn with Node’s one handle, and n + 1 with n extra handles', async () => {
    const port = await listening();
    expect(await acceptsPerTurn(port, 12)).toBe(1);
    for (const s of sockets.splice(0)) s.destroy();
    extra = await addAcceptHandles(server!, 3);
    expect(extra.count).toBe(3);
    expect(await acceptsPerTurn(port, 40)).toBeGreaterThanOrEqual(3);
  });

  it('serves the connections the extra handles accept, and stops listening once closed', async () => {
    const port = await listening();
    extra = await addAcceptHandles(server!, 2);
    expect(await Promise.all(Array.from({ length: 20 }, () => get(port)))).toEqual(Array(20).fill('ok'));
    await extra.close();
    extra = undefined;
    await new Promise((resolve) => server!.close(resolve));
    server = undefined;
    await expect(get(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('loses no connection that arrives while the handles are being added', async () => {
    const port = await listening();
    const adding = addAcceptHandles(server!, 3);
    const answers: Promise<string>[] = [];
    let done = false;
    void adding.then(() => (done = true));
    // Clients keep connecting for the whole set-up (the helper process lives through it).
    while (!done) {
      answers.push(get(port));
      await new Promise((r) => setTimeout(r, 5));
    }
    extra = await adding;
    expect(answers.length).toBeGreaterThan(0);
    expect(await Promise.all(answers)).toEqual(Array(answers.length).fill('ok'));
  });

  it('keeps the one handle when asked for none', async () => {
    await listening();
    extra = await addAcceptHandles(server!, 0);
    expect(extra.count).toBe(0);
  });
});
