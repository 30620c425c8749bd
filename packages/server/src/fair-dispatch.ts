import type { IncomingMessage, ServerResponse } from 'node:http';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface FairDispatch extends Handler {
  /** Call on every accepted connection (the server's `connection` event). */
  accepted: () => void;
}

/**
 * Starts request handlers from a queue, in arrival order: all of them per event-loop turn, except
 * in a turn that accepted a connection, which starts at most `perTurn`.
 *
 * Why: since libuv 1.45 (Node 20) a listening socket accepts ONE connection per event-loop turn
 * (libuv#3696), and a turn also runs the handlers of every request read in it. Under load a turn
 * handles a request from every open connection, so a burst of n new connections (a client pool
 * opening, a load balancer reconnecting) waits n turns that each grow with the connections already
 * served: at 200 connections the last ones were accepted after about a second (the ~1 s tail of
 * issue 19; the kernel had completed their handshakes, so the clients had sent their requests and
 * were waiting), at 1,000 after many seconds. Bounding the handlers started in such turns keeps
 * them short, so connections are accepted at a steady pace whatever the load.
 *
 * A turn that accepted nothing found the accept queue empty, so bounding it would only spread the
 * same work over more turns — and cut what shares a turn: the SQLite store commits the writes of
 * one turn together, and 8 submissions per commit instead of hundreds cost POST half its
 * throughput (docs/benchmarks.md).
 */
export function fairDispatch(handle: Handler, perTurn: number): FairDispatch {
  let queue: [IncomingMessage, ServerResponse][] = [];
  let head = 0;
  let scheduled = false;
  let acceptedThisTurn = false;
  const drain = (): void => {
    const end = acceptedThisTurn ? Math.min(queue.length, head + perTurn) : queue.length;
    acceptedThisTurn = false;
    while (head < end) {
      const [req, res] = queue[head]!;
      head++;
      handle(req, res);
    }
    if (head >= queue.length) {
      queue = [];
      head = 0;
      scheduled = false;
    } else {
      if (head > 1024) {
        queue = queue.slice(head);
        head = 0;
      }
      setImmediate(drain);
    }
  };
  const dispatch: FairDispatch = Object.assign(
    (req: IncomingMessage, res: ServerResponse): void => {
      queue.push([req, res]);
      if (!scheduled) {
        scheduled = true;
        setImmediate(drain);
      }
    },
    {
      accepted: (): void => {
        acceptedThisTurn = true;
      },
    },
  );
  return dispatch;
}
