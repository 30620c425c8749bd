import type { Collection, Evaluation, Hub, Provider } from '@evalhub/core';

/** What the MCP tools need from a hub: the same operations in-process (server) or over HTTP (stdio). */
export interface McpBackend {
  providers(): Promise<Provider[]>;
  collections(): Promise<Collection[]>;
  submit(request: unknown): Promise<Evaluation>;
  get(id: string): Promise<Evaluation>;
  cancel(id: string): Promise<Evaluation>;
  recent(limit: number): Promise<Evaluation[]>;
}

/** The hub in this process (the server's /mcp endpoint). */
export function hubBackend(hub: Hub): McpBackend {
  return {
    providers: async () => hub.providers.list(),
    collections: () => hub.collections.list(),
    submit: async (request) => (await hub.service.submit(request)).evaluation,
    get: (id) => hub.service.get(id),
    cancel: (id) => hub.service.cancel(id),
    recent: async (limit) => (await hub.service.list({ limit })).items,
  };
}

/** An error answer of the hub's HTTP API, with its message and field details. */
export class HubHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details: { pointer: string; message: string }[] = [],
  ) {
    super(message);
  }
}

/** A hub reached over HTTP (`evalhub mcp --url …`), with an optional API key. */
export function httpBackend(baseUrl: string, apiKey?: string): McpBackend {
  const base = baseUrl.replace(/\/+$/, '');
  const call = async <T>(path: string, init: RequestInit = {}): Promise<T> => {
    const res = await fetch(`${base}${path}`, {
      ...init,
      headers: {
        Accept: 'application/json',
        ...(init.body ? { 'Content-Type': 'application/json' } : {}),
        ...(apiKey ? { Authorization: `Bearer ${apiKey}` } : {}),
      },
    });
    const text = await res.text();
    const body = text ? (JSON.parse(text) as unknown) : undefined;
    if (!res.ok) {
      const e = (body as { error?: { message?: string; details?: { pointer: string; message: string }[] } })
        ?.error;
      throw new HubHttpError(res.status, e?.message ?? `HTTP ${res.status} from ${path}`, e?.details ?? []);
    }
    return body as T;
  };
  const id = (v: string): string => encodeURIComponent(v);
  return {
    providers: async () => (await call<{ items: Provider[] }>('/api/v1/providers')).items,
    collections: async () => (await call<{ items: Collection[] }>('/api/v1/collections')).items,
    submit: (request) =>
      call<Evaluation>('/api/v1/evaluations', { method: 'POST', body: JSON.stringify(request) }),
    get: (v) => call<Evaluation>(`/api/v1/evaluations/${id(v)}`),
    cancel: (v) => call<Evaluation>(`/api/v1/evaluations/${id(v)}`, { method: 'DELETE' }),
    recent: async (limit) =>
      (await call<{ items: Evaluation[] }>(`/api/v1/evaluations?limit=${limit}`)).items,
  };
}
