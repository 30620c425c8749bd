import { spawn } from 'node:child_process';
import { createServer, type Server as NetServer, type Socket } from 'node:net';

/** Extra listening handles on a server's socket; `close()` stops them and waits for their connections. */
export interface AcceptHandles {
  /** How many extra handles accept connections (0 when duplicating was not possible). */
  readonly count: number;
  close(): Promise<void>;
}

// The helper process: sends every handle it is given straight back. It receives the raw TCP handle
// (not a net.Server), which it never listens on, so it cannot accept a connection meant for the hub.
const ECHO = "process.on('message', (m, h) => process.send(m, h));";

/**
 * Adds `extra` listening handles on the socket `server` listens on, each handing its connections
 * to `server` (its `connection` event, as Node documents for injecting connections).
 *
 * Why: since libuv 1.45 (Node 20) a listening handle accepts ONE connection per event-loop turn
 * (libuv#3696). Under load a turn lasts milliseconds, so a thousand clients connecting at once
 * (a load balancer reconnecting, a CI fleet starting) waited seconds in the kernel's accept queue
 * with their requests already sent: the >1 s tail of issue 19 (docs/benchmarks.md). Every handle
 * on the socket accepts one per turn, so n + 1 handles accept n + 1 per turn, from the one queue.
 *
 * Node 20 has no dup() and no SO_REUSEPORT (`reusePort` came with Node 22.12), so the duplicates
 * come the way Node itself shares a listening socket with cluster workers: the handle goes to a
 * short-lived helper process over IPC and comes back as a new file descriptor of the same socket.
 * The helper gets no environment and no arguments but the echo above, and exits at once. When it
 * cannot run, the server keeps its one handle (`count` 0) and works as before.
 */
export async function addAcceptHandles(
  server: NetServer,
  extra: number,
  timeoutMs = 10_000,
): Promise<AcceptHandles> {
  const handles: NetServer[] = [];
  if (extra > 0) {
    const helper = spawn(process.execPath, ['-e', ECHO], {
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      env: {},
    });
    try {
      for (let i = 0; i < extra; i++) handles.push(await echoed(helper, server, timeoutMs));
    } catch {
      // Fewer (or no) extra handles: each one accepts as well as the main handle does.
    } finally {
      helper.kill();
    }
  }
  const inject = (socket: Socket): void => {
    server.emit('connection', socket);
  };
  for (const h of handles) h.on('connection', inject);
  return {
    count: handles.length,
    close: () =>
      Promise.all(handles.map((h) => new Promise<void>((resolve) => h.close(() => resolve())))).then(
        () => undefined,
      ),
  };
}

function echoed(helper: ReturnType<typeof spawn>, server: NetServer, timeoutMs: number): Promise<NetServer> {
  return new Promise<NetServer>((resolve, reject) => {
    const timer = setTimeout(() => done(new Error('the accept-handle helper did not answer')), timeoutMs);
    const onMessage = (_m: unknown, handle: unknown): void => {
      if (!handle) return;
      const copy = createServer();
      copy.once('error', (err) => done(err));
      copy.listen(handle as never, () => done(undefined, copy));
    };
    const onExit = (): void => done(new Error('the accept-handle helper exited'));
    function done(err?: Error, handle?: NetServer): void {
      clearTimeout(timer);
      helper.off('message', onMessage);
      helper.off('exit', onExit);
      helper.off('error', onExit);
      if (handle) resolve(handle);
      else reject(err);
    }
    helper.on('message', onMessage);
    helper.once('exit', onExit);
    helper.once('error', onExit);
    // The native handle: sent as a net.Server, the helper would listen on it (Node's own conversion)
    // and could take a connection while it lives.
    const native = (server as unknown as { _handle: unknown })._handle;
    helper.send('handle', native as NetServer, (err) => {
      if (err) done(err);
    });
  });
}
