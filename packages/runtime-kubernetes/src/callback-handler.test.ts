import { silentLogger } from '@evalhub/core';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AttemptRegistry, type WorkerDone } from './attempts.js';
import { CALLBACK_PREFIX, createCallbackHandler } from './callback-handler.js';

let server: Server;
let base: string;
let dir: string;
const registry = new AttemptRegistry();
const lines: string[] = [];
let done: WorkerDone | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'callback-'));
  await writeFile(join(dir, 'in.txt'), 'input');
  registry.add({
    id: 'eh-a-0-1',
    token: 'secret-token',
    spec: {
      command: 'x',
      args: [],
      env: {},
      inputs: [{ path: join(dir, 'in.txt'), size: 5, mode: 0o644 }],
      outputs: [join(dir, 'out')],
    },
    readable: new Set([join(dir, 'in.txt')]),
    onLines: (l) => lines.push(...l.map((x) => x.text)),
    onDone: (d) => (done = d),
  });
  const handler = createCallbackHandler(registry, silentLogger());
  server = createServer((req, res) => {
    // as the hub's server calls it: the path below the prefix, without the query string
    const path = new URL(req.url ?? '/', 'http://hub').pathname.slice(CALLBACK_PREFIX.length);
    void handler.handle(req, res, { requestId: 'r', path });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  base = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}${CALLBACK_PREFIX}/attempts`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const auth = { authorization: 'Bearer secret-token' };

describe('worker callback routes', () => {
  it('answer only the attempt token', async () => {
    expect((await fetch(`${base}/eh-a-0-1/spec`)).status).toBe(401);
    expect(
      (await fetch(`${base}/eh-a-0-1/spec`, { headers: { authorization: 'Bearer wrong' } })).status,
    ).toBe(401);
    const unknown = await fetch(`${base}/eh-b-0-1/spec`, { headers: auth });
    expect(unknown.status).toBe(503);
    expect(unknown.headers.get('retry-after')).toBe('2');
    const spec = await fetch(`${base}/eh-a-0-1/spec`, { headers: auth });
    expect(spec.status).toBe(200);
    expect(((await spec.json()) as { command: string }).command).toBe('x');
  });

  it('serve inputs, accept outputs inside the output folders only, take lines and done', async () => {
    const q = (p: string): string => `?path=${encodeURIComponent(p)}`;
    const input = await fetch(`${base}/eh-a-0-1/files${q(join(dir, 'in.txt'))}`, { headers: auth });
    expect(await input.text()).toBe('input');
    expect((await fetch(`${base}/eh-a-0-1/files${q('/etc/passwd')}`, { headers: auth })).status).toBe(403);
    const put = await fetch(`${base}/eh-a-0-1/files${q(join(dir, 'out', 'r.json'))}`, {
      method: 'PUT',
      headers: auth,
      body: '{"acc":0.5}',
    });
    expect(put.status).toBe(200);
    expect(await readFile(join(dir, 'out', 'r.json'), 'utf8')).toBe('{"acc":0.5}');
    const escape = await fetch(`${base}/eh-a-0-1/files${q(join(dir, 'out', '..', 'x'))}`, {
      method: 'PUT',
      headers: auth,
      body: 'x',
    });
    expect(escape.status).toBe(403);
    await fetch(`${base}/eh-a-0-1/lines`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ lines: [{ stream: 'stdout', text: 'hello' }] }),
    });
    expect(lines).toEqual(['hello']);
    await fetch(`${base}/eh-a-0-1/done`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ exitCode: 0, signal: null }),
    });
    expect(done).toEqual({ exitCode: 0, signal: null });
  });
});
