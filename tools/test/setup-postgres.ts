import type { TestProject } from 'vitest/node';
import { startPostgres } from '../src/postgres/launcher.js';

/**
 * Vitest global setup: one real PostgreSQL server per test run (a fresh cluster in a temp folder,
 * 127.0.0.1 on a free port, password authentication), shared by every integration test through
 * `inject('postgres')`. Tests isolate themselves by schema or database. Missing PostgreSQL binaries
 * fail the run with how to install them (never a silent skip).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startPostgres();
  const { stop: _stop, startupMs: _startupMs, ...info } = server;
  project.provide('postgres', info);
  return async () => {
    await server.stop();
  };
}
