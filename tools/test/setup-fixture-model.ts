import type { TestProject } from 'vitest/node';
import { startFixtureModelServer } from '../src/fixture-model/server.js';

/**
 * Vitest global setup: one deterministic fixture model server (vLLM-compatible API) per test run,
 * shared by every integration test through `inject('fixtureModelUrl')` (server root, no `/v1`).
 * Tests select failure behaviours per request with the `/_/<switches>/…` URL prefix.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startFixtureModelServer();
  project.provide('fixtureModelUrl', server.url);
  return async () => {
    await server.close();
  };
}
