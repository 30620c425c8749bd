import type { ApiPaths, EvaluationEvent } from '@evalhub/core';
import { readSse } from './sse.js';

/** The JSON answer of an operation for a status, from the generated OpenAPI types. */
type Answer<Op, Status extends number> = Op extends {
  responses: { [S in Status]: { content: { 'application/json': infer T } } };
}
  ? T
  : never;
type Query<Op> = Op extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;
type Body<Op> = Op extends { requestBody: { content: { 'application/json': infer B } } } ? B : never;

type Evaluations = ApiPaths['/api/v1/evaluations'];
type OneEvaluation = ApiPaths['/api/v1/evaluations/{id}'];
type Collections = ApiPaths['/api/v1/collections'];
type OneCollection = ApiPaths['/api/v1/collections/{id}'];

export type EvaluationRequestBody = Body<Evaluations['post']>;
export type EvaluationPage = Answer<Evaluations['get'], 200>;
export type EvaluationListQuery = Query<Evaluations['get']>;
export type EvaluationDocument = Answer<OneEvaluation['get'], 200>;
export type EvaluationLogsDocument = Answer<ApiPaths['/api/v1/evaluations/{id}/logs']['get'], 200>;
export type EvaluationComparisonDocument = Answer<ApiPaths['/api/v1/evaluations/{id}/compare']['get'], 200>;
export type ProviderPage = Answer<ApiPaths['/api/v1/providers']['get'], 200>;
export type BenchmarkPage = Answer<ApiPaths['/api/v1/benchmarks']['get'], 200>;
export type BenchmarkQuery = Query<ApiPaths['/api/v1/benchmarks']['get']>;
export type CollectionPage = Answer<Collections['get'], 200>;
export type CollectionDocument = Answer<OneCollection['get'], 200>;
export type HealthAnswer = Answer<ApiPaths['/api/v1/health']['get'], 200>;

/** The hub's error body (every 4xx/5xx), when it sent one. */
export interface HubErrorBody {
  error?: { code?: string; message?: string; details?: { pointer: string; message: string }[] };
  request_id?: string;
}

/** An HTTP error from the hub (status 0: the hub could not be reached). */
export class HubError extends Error {
  constructor(
    readonly status: number,
    readonly body: HubErrorBody | undefined,
    fallback: string,
    /** From a 429's Retry-After header. */
    readonly retryAfterSeconds?: number,
  ) {
    super(body?.error?.message ?? fallback);
    this.name = 'HubError';
  }
}

export interface HubClientOptions {
  /** Base URL of the hub, e.g. http://localhost:8000. */
  url: string;
  /** Sent as `Authorization: Bearer <key>`. */
  apiKey?: string;
  /** Default: the global fetch. */
  fetch?: typeof fetch;
}

type QueryValue = string | number | boolean | string[] | undefined;
const queryString = (query: Record<string, QueryValue> = {}): string => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) p.append(k, String(one));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
};
const seg = encodeURIComponent;

/**
 * A typed client of the hub's HTTP API (request and answer types come from the OpenAPI document,
 * through `@evalhub/core`'s generated `ApiPaths`). Used by the `evalhub` CLI and the demo.
 */
export class HubClient {
  readonly baseUrl: string;
  private readonly apiKey: string | undefined;
  private readonly fetchImpl: typeof fetch;

  constructor(options: HubClientOptions) {
    this.baseUrl = `${options.url.replace(/\/+$/, '')}/`;
    this.apiKey = options.apiKey;
    this.fetchImpl = options.fetch ?? fetch;
  }

  /** A raw request with the client's headers; throws HubError(0) when the hub cannot be reached. */
  async request(path: string, init: RequestInit = {}): Promise<Response> {
    try {
      return await this.fetchImpl(new URL(path.replace(/^\//, ''), this.baseUrl), {
        ...init,
        headers: {
          Accept: 'application/json',
          ...(this.apiKey ? { Authorization: `Bearer ${this.apiKey}` } : {}),
          ...(init.headers as Record<string, string> | undefined),
        },
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new HubError(
        0,
        undefined,
        `Cannot reach the hub at ${this.baseUrl}: ${cause?.code ?? cause?.message ?? (err as Error).message}. Start it with 'evalhub serve' or pass --url.`,
      );
    }
  }

  /** A JSON request: the status and parsed body, or a HubError for 4xx/5xx. */
  async json<T>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
    const res = await this.request(path, init);
    const text = await res.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    if (res.status >= 400) {
      const retryAfter = Number(res.headers.get('retry-after') ?? NaN);
      throw new HubError(
        res.status,
        body as HubErrorBody | undefined,
        `HTTP ${res.status} from ${path}`,
        Number.isFinite(retryAfter) ? retryAfter : undefined,
      );
    }
    return { status: res.status, body: body as T };
  }

  /** POST /api/v1/evaluations: 202 created, 200 an earlier submission with the same Idempotency-Key. */
  submit(
    request: EvaluationRequestBody | unknown,
    options: { idempotencyKey?: string } = {},
  ): Promise<{ status: number; body: EvaluationDocument }> {
    return this.json('/api/v1/evaluations', {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        ...(options.idempotencyKey ? { 'Idempotency-Key': options.idempotencyKey } : {}),
      },
      body: JSON.stringify(request),
    });
  }

  async list(query: EvaluationListQuery = {}): Promise<EvaluationPage> {
    return (await this.json<EvaluationPage>(`/api/v1/evaluations${queryString(query)}`)).body;
  }

  async get(id: string): Promise<EvaluationDocument> {
    return (await this.json<EvaluationDocument>(`/api/v1/evaluations/${seg(id)}`)).body;
  }

  async cancel(id: string): Promise<EvaluationDocument> {
    return (await this.json<EvaluationDocument>(`/api/v1/evaluations/${seg(id)}`, { method: 'DELETE' })).body;
  }

  async logs(id: string, query: { benchmark?: string; tail?: number } = {}): Promise<EvaluationLogsDocument> {
    return (
      await this.json<EvaluationLogsDocument>(`/api/v1/evaluations/${seg(id)}/logs${queryString(query)}`)
    ).body;
  }

  /** `a` compared with `b` (its baseline), metric by metric. */
  async compare(
    a: string,
    b: string,
    query: { tolerance?: number } = {},
  ): Promise<EvaluationComparisonDocument> {
    return (
      await this.json<EvaluationComparisonDocument>(
        `/api/v1/evaluations/${seg(a)}/compare${queryString({ with: b, ...query })}`,
      )
    ).body;
  }

  async providers(): Promise<ProviderPage> {
    return (await this.json<ProviderPage>('/api/v1/providers')).body;
  }

  async benchmarks(query: BenchmarkQuery = {}): Promise<BenchmarkPage> {
    return (await this.json<BenchmarkPage>(`/api/v1/benchmarks${queryString(query)}`)).body;
  }

  async collections(): Promise<CollectionPage> {
    return (await this.json<CollectionPage>('/api/v1/collections')).body;
  }

  async collection(id: string): Promise<CollectionDocument> {
    return (await this.json<CollectionDocument>(`/api/v1/collections/${seg(id)}`)).body;
  }

  async health(options: { details?: boolean } = {}): Promise<HealthAnswer> {
    return (await this.json<HealthAnswer>(`/api/v1/health${options.details ? '?details=true' : ''}`)).body;
  }

  /**
   * Follows an evaluation's event stream until its `result` event, reconnecting with Last-Event-ID
   * when the stream ends early (hub restart, proxy timeout); gives up after 5 failures in a row.
   */
  async *events(id: string, options: { retryDelayMs?: number } = {}): AsyncGenerator<EvaluationEvent> {
    const delay = options.retryDelayMs ?? 500;
    let lastId = '';
    let failures = 0;
    for (;;) {
      let res: Response;
      try {
        res = await this.request(`/api/v1/evaluations/${seg(id)}/events`, {
          headers: { Accept: 'text/event-stream', ...(lastId ? { 'Last-Event-ID': lastId } : {}) },
        });
      } catch (err) {
        if (++failures > 5) throw err;
        await new Promise((r) => setTimeout(r, 2 * delay * failures));
        continue;
      }
      if (res.status >= 400 || !res.body) {
        const text = await res.text();
        let body: HubErrorBody | undefined;
        try {
          body = JSON.parse(text) as HubErrorBody;
        } catch {
          body = undefined;
        }
        throw new HubError(res.status, body, `HTTP ${res.status} from the event stream`);
      }
      failures = 0;
      try {
        for await (const message of readSse(res.body as unknown as AsyncIterable<Uint8Array>)) {
          if (message.id !== undefined) lastId = message.id;
          const event = JSON.parse(message.data) as EvaluationEvent;
          yield event;
          if (event.type === 'result') return;
        }
      } catch (err) {
        if (++failures > 5) throw err;
      }
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
