/**
 * The gateway's loopback HTTP proxy. An engine's base URL is `http://127.0.0.1:<port>/r/<token>/…`;
 * the token (random, one per benchmark) names the route: which model server, whether to cache, where
 * to count. Inference requests (completions, chat completions, embeddings) take a slot per sequence
 * from the server's limiter, are retried on 429/5xx/connection failures and may be answered from the cache;
 * other requests (tokenizer, models) are passed through once. Streamed answers are piped as they come.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import type { Logger } from '../logging.js';
import { downstreamResponseHeaders, PROBE_HEADER, upstreamRequestHeaders } from './forward-headers.js';
import { BodyTooLargeError, readBody, sendError, usageOf } from './http-messages.js';
import { PerfRecorder } from './perf-stats.js';
import { sequencesOf } from './request-sequences.js';
import { cacheKey, isCacheable } from './response-cache.js';
import type { ResponseCache } from './response-cache.js';
import { errorCode, RetryPolicy } from './retry-policy.js';
import { SlotAbortedError } from './server-limiter.js';
import type { ServerLimiter, Slot } from './server-limiter.js';

export interface Upstream {
  /** The server's base URL without credentials: its identity (limiter, cache key). */
  id: string;
  /** `http://host:port` — the only place this server's key is ever sent. */
  origin: string;
  apiKey?: string;
  limiter: ServerLimiter;
}

export interface ProxyRoute {
  token: string;
  upstream: Upstream;
  cache: boolean;
  recorder: PerfRecorder;
}

export interface GatewayProxyOptions {
  host: string;
  dispatcher: Dispatcher;
  retry: RetryPolicy;
  cache?: ResponseCache;
  /** Per attempt: headers and between body chunks. */
  requestTimeoutMs: number;
  maxBodyBytes: number;
  logger?: Logger;
}

export const CACHE_HEADER = 'x-evalhub-cache';
const INFERENCE_PATH = /\/(?:chat\/)?completions$|\/embeddings$/;

export class GatewayProxy {
  private readonly routes = new Map<string, ProxyRoute>();
  private server: Server | undefined;
  private listening: Promise<string> | undefined;

  constructor(private readonly options: GatewayProxyOptions) {}

  add(route: ProxyRoute): void {
    this.routes.set(route.token, route);
  }

  remove(token: string): void {
    this.routes.delete(token);
  }

  /** Starts listening (once) and returns the proxy's origin, e.g. `http://127.0.0.1:40123`. */
  listen(): Promise<string> {
    this.listening ??= new Promise<string>((resolve, reject) => {
      const server = createServer((req, res) => {
        this.handle(req, res).catch((err: unknown) => {
          this.options.logger?.error({ err }, 'model gateway: request failed');
          sendError(res, 500, 'model gateway: internal error');
        });
      });
      server.keepAliveTimeout = 30_000;
      server.headersTimeout = 60_000;
      server.requestTimeout = 0;
      server.once('error', reject);
      server.listen(0, this.options.host, () => {
        server.off('error', reject);
        this.server = server;
        const a = server.address() as AddressInfo;
        resolve(`http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`);
      });
    });
    return this.listening;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const arrived = performance.now();
    const raw = req.url ?? '/';
    const m = /^\/r\/([0-9a-f]{32})(\/[^?]*)?(\?.*)?$/.exec(raw);
    const route = m ? this.routes.get(m[1]!) : undefined;
    if (!m || !route) {
      req.resume();
      return sendError(res, 404, 'model gateway: unknown or finished route (the benchmark is over?)');
    }
    const path = m[2] ?? '/';
    const query = m[3] ?? '';
    const gone = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) gone.abort();
    });
    let body: Buffer;
    try {
      body = await readBody(req, this.options.maxBodyBytes);
    } catch (err) {
      if (err instanceof BodyTooLargeError)
        return sendError(res, 413, `model gateway: request body over ${this.options.maxBodyBytes} bytes`);
      throw err;
    }
    const method = req.method ?? 'GET';
    if (method !== 'POST' || !INFERENCE_PATH.test(path))
      return this.passThrough(route, method, path + query, req, body, res, gone.signal);
    await this.inference(route, path, query, req, body, res, gone.signal, arrived);
  }

  /** Tokenizer, model list and other routes: one attempt, no slot, not counted. */
  private async passThrough(
    route: ProxyRoute,
    method: string,
    pathAndQuery: string,
    req: IncomingMessage,
    body: Buffer,
    res: ServerResponse,
    signal: AbortSignal,
  ): Promise<void> {
    try {
      const up = await this.options.dispatcher.request({
        origin: route.upstream.origin,
        path: pathAndQuery,
        method: method as Dispatcher.HttpMethod,
        headers: upstreamRequestHeaders(req.headers, route.upstream.apiKey, body.length),
        body: body.length > 0 || method === 'POST' ? body : null,
        signal,
        headersTimeout: this.options.requestTimeoutMs,
        bodyTimeout: this.options.requestTimeoutMs,
      });
      res.writeHead(up.statusCode, downstreamResponseHeaders(up.headers, true));
      await pipeline(up.body, res);
    } catch (err) {
      if (signal.aborted) return;
      sendError(res, 502, `model gateway: model server unreachable (${errorCode(err) ?? String(err)})`);
    }
  }

  private async inference(
    route: ProxyRoute,
    path: string,
    query: string,
    req: IncomingMessage,
    body: Buffer,
    res: ServerResponse,
    signal: AbortSignal,
    arrived: number,
  ): Promise<void> {
    const { upstream } = route;
    const recorder = req.headers[PROBE_HEADER] === undefined ? route.recorder : new PerfRecorder();
    recorder.arrived();
    let parsed: Record<string, unknown> | undefined;
    try {
      const v: unknown = JSON.parse(body.toString('utf8'));
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) parsed = v as Record<string, unknown>;
    } catch {
      // not JSON: forwarded as is; the server answers the error
    }
    const stream = parsed?.['stream'] === true;
    const cache = this.options.cache;
    const key =
      route.cache && cache && parsed && isCacheable(path, parsed)
        ? cacheKey({
            server: upstream.id,
            model: typeof parsed['model'] === 'string' ? parsed['model'] : '',
            method: 'POST',
            path: path + query,
            body,
          })
        : undefined;
    if (key !== undefined) {
      const hit = cache!.get(key);
      if (hit) {
        const headers: Record<string, string | number> = {
          'content-length': hit.body.length,
          [CACHE_HEADER]: 'hit',
        };
        if (hit.contentType) headers['content-type'] = hit.contentType;
        res.writeHead(hit.status, headers);
        res.end(hit.body);
        const latencyMs = performance.now() - arrived;
        recorder.finished({
          latencyMs,
          overheadMs: latencyMs,
          ok: true,
          cacheHit: true,
          ...usageOf(hit.body),
        });
        return;
      }
    }

    const headers = upstreamRequestHeaders(req.headers, upstream.apiKey, body.length);
    const sequences = sequencesOf(path, parsed);
    let waitedMs = 0; // for a slot, in backoff and at the server: everything that is not the gateway
    for (let attempt = 1; ; attempt++) {
      let slot: Slot;
      const queued = performance.now();
      try {
        slot = await upstream.limiter.acquire(route.token, signal, attempt > 1, sequences);
      } catch (err) {
        if (err instanceof SlotAbortedError) return;
        throw err;
      }
      const sent = performance.now();
      waitedMs += sent - queued;
      recorder.upstream(1);
      let up: Dispatcher.ResponseData;
      try {
        up = await this.options.dispatcher.request({
          origin: upstream.origin,
          path: path + query,
          method: 'POST',
          headers,
          body,
          signal,
          headersTimeout: this.options.requestTimeoutMs,
          bodyTimeout: this.options.requestTimeoutMs,
        });
      } catch (err) {
        recorder.upstream(-1);
        waitedMs += performance.now() - sent;
        if (signal.aborted) {
          slot.release({ kind: 'ignore' });
          return;
        }
        slot.release({ kind: 'overload' });
        const decision = this.options.retry.decide(attempt, { error: err }, performance.now() - arrived);
        if (decision.retry) {
          recorder.retried();
          waitedMs += decision.delayMs;
          if (!(await this.pause(decision.delayMs, signal))) return;
          continue;
        }
        const message = `model gateway: model server ${upstream.id} unreachable after ${attempt} attempt(s): ${errorCode(err) ?? String(err)}`;
        this.options.logger?.warn({ server: upstream.id, code: errorCode(err), attempts: attempt }, message);
        sendError(res, 502, message);
        const latencyMs = performance.now() - arrived;
        recorder.finished({
          latencyMs,
          overheadMs: Math.max(0, latencyMs - waitedMs),
          ok: false,
          cacheHit: false,
        });
        return;
      }
      const status = up.statusCode;
      const overload = status === 429 || status === 503;
      if (!stream || status !== 200) {
        let answer: Buffer;
        try {
          answer = Buffer.from(await up.body.arrayBuffer());
        } catch (err) {
          recorder.upstream(-1);
          slot.release({ kind: signal.aborted ? 'ignore' : 'overload' });
          if (signal.aborted) return;
          sendError(
            res,
            502,
            `model gateway: answer of ${upstream.id} broke off (${errorCode(err) ?? String(err)})`,
          );
          return;
        }
        const rttMs = performance.now() - sent;
        waitedMs += rttMs;
        recorder.upstream(-1);
        slot.release(
          overload ? { kind: 'overload' } : status < 400 ? { kind: 'ok', rttMs } : { kind: 'ignore' },
        );
        const decision = this.options.retry.decide(
          attempt,
          { status, retryAfter: up.headers['retry-after'] },
          performance.now() - arrived,
        );
        if (decision.retry) {
          recorder.retried();
          waitedMs += decision.delayMs;
          if (!(await this.pause(decision.delayMs, signal))) return;
          continue;
        }
        if (key !== undefined && status === 200) {
          const contentType = up.headers['content-type'];
          cache!.put(key, {
            status,
            contentType: Array.isArray(contentType) ? contentType[0] : contentType,
            body: answer,
          });
        }
        const out = downstreamResponseHeaders(up.headers, false);
        out['content-length'] = answer.length;
        if (key !== undefined) out[CACHE_HEADER] = 'miss';
        res.writeHead(status, out);
        res.end(answer);
        const latencyMs = performance.now() - arrived;
        recorder.finished({
          latencyMs,
          overheadMs: Math.max(0, latencyMs - waitedMs),
          ok: status < 400,
          cacheHit: false,
          ...(status === 200 ? usageOf(answer) : {}),
        });
        return;
      }
      // a stream: pass it through as it comes; the slot is held until it ends
      res.writeHead(status, downstreamResponseHeaders(up.headers, true));
      let ok = true;
      try {
        await pipeline(up.body, res);
      } catch {
        ok = false;
      }
      recorder.upstream(-1);
      slot.release({ kind: 'ignore' });
      const latencyMs = performance.now() - arrived;
      recorder.finished({ latencyMs, overheadMs: 0, ok, cacheHit: false });
      return;
    }
  }

  private async pause(ms: number, signal: AbortSignal): Promise<boolean> {
    if (ms <= 0) return !signal.aborted;
    try {
      await sleep(ms, undefined, { signal });
      return true;
    } catch {
      return false;
    }
  }
}
