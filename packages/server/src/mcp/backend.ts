import type { Collection, Evaluation, Hub, Provider } from '@evalhub/core';
import { HubClient } from '../client/hub-client.js';

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

/** A hub reached over HTTP (`evalhub mcp --url …`), with an optional API key. */
export function httpBackend(baseUrl: string, apiKey?: string): McpBackend {
  const client = new HubClient({ url: baseUrl, ...(apiKey ? { apiKey } : {}) });
  // The answers are the same documents the in-process hub returns, in their OpenAPI spelling.
  const as = <T>(v: unknown): T => v as T;
  return {
    providers: async () => as<Provider[]>((await client.providers()).items),
    collections: async () => as<Collection[]>((await client.collections()).items),
    submit: async (request) => as<Evaluation>((await client.submit(request)).body),
    get: async (id) => as<Evaluation>(await client.get(id)),
    cancel: async (id) => as<Evaluation>(await client.cancel(id)),
    recent: async (limit) => as<Evaluation[]>((await client.list({ limit })).items),
  };
}
