/**
 * The model gateway (one per hub): every engine request to a model server passes through it. A
 * benchmark asks for a route and hands the route's `baseUrl` to its engine as the OpenAI base URL;
 * the gateway adds the API key (only for the server it is configured for), shares an adaptive
 * concurrency limit per model server between all routes to it, retries, optionally answers from the
 * response cache, and counts performance data per route. The loopback proxy starts on first use.
 */
import { randomBytes } from 'node:crypto';
import type { Agent } from 'undici';
import type { Logger } from '../logging.js';
import type { AdaptiveLimitOptions } from './adaptive-limit.js';
import { PerfRecorder } from './perf-stats.js';
import type { PerfStats } from './perf-stats.js';
import { GatewayProxy } from './proxy-server.js';
import type { Upstream } from './proxy-server.js';
import { ResponseCache } from './response-cache.js';
import { RetryPolicy } from './retry-policy.js';
import type { RetryOptions } from './retry-policy.js';
import { ServerLimiter } from './server-limiter.js';
import type { ServerLimiterState } from './server-limiter.js';

export interface GatewayServerConfig {
  /** OpenAI-compatible base URL, e.g. `http://vllm:8000/v1`. */
  url: string;
  /** Sent as `Authorization: Bearer …` to this server's origin only. */
  apiKey?: string;
  /** Cap of the adaptive limit for this server. */
  maxConcurrency?: number;
}

export interface ModelGatewayOptions {
  /** The configured model servers by name (keys are only ever sent to their own server). */
  servers?: Readonly<Record<string, GatewayServerConfig>>;
  /** The response cache (SQLite file under the data dir); off when absent. */
  cache?: { file: string; maxBytes?: number };
  /** Whether a route caches when the benchmark does not say. Default false. */
  cacheByDefault?: boolean;
  /** Listen address of the proxy. Default 127.0.0.1. */
  host?: string;
  /** `max_concurrency` of servers that do not set one (and of ad-hoc `model.url`s). Default 512. */
  defaultMaxConcurrency?: number;
  /**
   * Engine concurrency (`route.concurrency`) for servers without `maxConcurrency`. Default: their
   * cap (`defaultMaxConcurrency`), so that the gateway's limit, not the engine, bounds what is in flight.
   */
  defaultEngineConcurrency?: number;
  limit?: Partial<Omit<AdaptiveLimitOptions, 'maxLimit'>>;
  retry?: Partial<RetryOptions>;
  /** Per attempt, for headers and between body chunks. Default 10 min. */
  requestTimeoutMs?: number;
  /** Largest request body. Default 64 MiB. */
  maxBodyBytes?: number;
  logger?: Logger;
}

/** What a benchmark run tells the gateway about itself. */
export interface RouteRequest {
  evaluationId: string;
  benchmarkId: string;
  benchmarkIndex?: number;
  /** The resolved model: `server` name and base `url`. */
  model: { server: string; url: string };
  /** The benchmark's `config.cache`; falls back to `cacheByDefault`. */
  cache?: boolean;
}

export interface GatewayRoute {
  /** Give this to the engine as its OpenAI base URL (same path shape as the server's, e.g. `…/v1`). */
  readonly baseUrl: string;
  /** The upstream server's identity (base URL without credentials). */
  readonly server: string;
  readonly cache: boolean;
  /**
   * Requests the engine should keep in flight so that the gateway, not the engine, is the limit:
   * the server's `maxConcurrency`, else `defaultEngineConcurrency`.
   */
  readonly concurrency: number;
  /** Performance data so far. */
  stats(): PerfStats;
  /** Ends the route (later requests get 404) and returns its final performance data. */
  release(): PerfStats;
}

/** A base URL split into the part the key is bound to (origin) and the identity (no credentials, no query). */
function normalise(url: string): { origin: string; id: string; basePath: string } {
  const u = new URL(url);
  const basePath = u.pathname.replace(/\/+$/, '');
  return { origin: u.origin, id: `${u.origin}${basePath}`, basePath };
}

export class ModelGateway {
  private readonly upstreams = new Map<string, Upstream & { engineConcurrency: number }>();
  private starting: Promise<GatewayProxy> | undefined;
  private proxy: GatewayProxy | undefined;
  private cache: ResponseCache | undefined;
  private agent: Agent | undefined;
  private readonly servers: Readonly<Record<string, GatewayServerConfig>>;
  private closed = false;

  constructor(private readonly options: ModelGatewayOptions = {}) {
    this.servers = options.servers ?? {};
  }

  /**
   * The proxy, its connection pool and the cache file, made on first use: an idle gateway touches no
   * file or port, and does not even load its HTTP client (undici: ~10 MB of RSS at import).
   */
  private started(): Promise<GatewayProxy> {
    this.starting ??= (async () => {
      const { Agent } = await import('undici');
      const options = this.options;
      this.agent = new Agent({ connections: null, keepAliveTimeout: 30_000, pipelining: 1 });
      this.cache = options.cache ? new ResponseCache(options.cache) : undefined;
      this.proxy = new GatewayProxy({
        host: options.host ?? '127.0.0.1',
        dispatcher: this.agent,
        retry: new RetryPolicy(options.retry),
        ...(this.cache ? { cache: this.cache } : {}),
        requestTimeoutMs: options.requestTimeoutMs ?? 600_000,
        maxBodyBytes: options.maxBodyBytes ?? 64 * 1024 * 1024,
        ...(options.logger ? { logger: options.logger } : {}),
      });
      return this.proxy;
    })();
    return this.starting;
  }

  /**
   * The upstream for a model, by its base URL. The configured server with that URL (the named one
   * first) gives the key and the cap; a URL no server is configured for gets neither.
   */
  private upstreamFor(model: { server: string; url: string }): Upstream & { engineConcurrency: number } {
    const target = normalise(model.url);
    const existing = this.upstreams.get(target.id);
    if (existing) return existing;
    const named = this.servers[model.server];
    const configured =
      named && normalise(named.url).id === target.id
        ? named
        : Object.values(this.servers).find((s) => normalise(s.url).id === target.id);
    const cap = configured?.maxConcurrency ?? this.options.defaultMaxConcurrency ?? 512;
    const upstream = {
      engineConcurrency: configured?.maxConcurrency ?? this.options.defaultEngineConcurrency ?? cap,
      id: target.id,
      origin: target.origin,
      ...(configured?.apiKey ? { apiKey: configured.apiKey } : {}),
      limiter: new ServerLimiter({ ...this.options.limit, maxLimit: cap }),
    };
    this.upstreams.set(target.id, upstream);
    return upstream;
  }

  /** A route for one benchmark run; starts the proxy on first use. */
  async route(request: RouteRequest): Promise<GatewayRoute> {
    if (this.closed) throw new Error('the model gateway is closed');
    const upstream = this.upstreamFor(request.model);
    const proxy = await this.started();
    if (this.closed) throw new Error('the model gateway is closed');
    const origin = await proxy.listen();
    const token = randomBytes(16).toString('hex');
    const recorder = new PerfRecorder();
    const cache = this.cache !== undefined && (request.cache ?? this.options.cacheByDefault ?? false);
    proxy.add({ token, upstream, cache, recorder });
    const basePath = normalise(request.model.url).basePath;
    let final: PerfStats | undefined;
    return {
      baseUrl: `${origin}/r/${token}${basePath}`,
      server: upstream.id,
      cache,
      concurrency: upstream.engineConcurrency,
      stats: () => final ?? recorder.snapshot(),
      release: () => {
        if (!final) {
          proxy.remove(token);
          final = recorder.snapshot();
        }
        return final;
      },
    };
  }

  /** The shared limiter of the server behind `url` (for health pages and tests). */
  limiterState(url: string): ServerLimiterState | undefined {
    return this.upstreams.get(normalise(url).id)?.limiter.state();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.starting?.catch(() => undefined);
    await this.proxy?.close();
    await this.agent?.close();
    this.cache?.close();
  }
}
