/**
 * Starts the Eval Hub server with scripted providers (no evaluation engine), a SQLite store in a
 * temporary folder (or the PostgreSQL store: EVALHUB_STORE / EVALHUB_DATABASE_URL) and tracker `none`; prints `{"url": ...}` on one stdout line once listening.
 * Used by the API fuzzing script and the HTTP benchmark. Stops on SIGTERM/SIGINT.
 *
 *   node --conditions=@evalhub/source --import tsx packages/server/test/support/serve-scripted.ts [--port 0] [--log-level warn]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createHub, createLogger, loadConfig } from '@evalhub/core';
import { startServer } from '../../src/app.js';
import { specProviders } from './catalog-provider.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    'log-level': { type: 'string', default: 'warn' },
    'data-dir': { type: 'string' },
    'requests-per-turn': { type: 'string' },
    backlog: { type: 'string' },
    'accept-handles': { type: 'string' },
  },
});
const dir = values['data-dir'] ?? mkdtempSync(join(tmpdir(), 'evalhub-serve-'));
const config = loadConfig({
  cwd: dir,
  env: {
    EVALHUB_TRACKER: 'none',
    EVALHUB_DISCOVER_PLUGINS: 'false',
    EVALHUB_DATA_DIR: dir,
    EVALHUB_LOG_LEVEL: values['log-level'],
    EVALHUB_MODEL_SERVER_VLLM: 'http://127.0.0.1:9/v1',
    EVALHUB_MAX_CONCURRENT_EVALUATIONS: '64',
    // The HTTP benchmark measures how fast submissions are accepted, so nothing is refused for queueing.
    EVALHUB_MAX_QUEUED_EVALUATIONS: '1000000',
    // `EVALHUB_STORE=postgres EVALHUB_DATABASE_URL=…` in the environment: several of these processes
    // on one database are replicas (the HTTP benchmark's --replicas).
    ...pick(process.env, 'EVALHUB_STORE', 'EVALHUB_DATABASE_URL'),
  },
});
const hub = await createHub({
  config,
  // Store plugins (e.g. @evalhub/store-postgres) resolve from the repository, not the temp folder.
  resolveFrom: [fileURLToPath(new URL('../../../..', import.meta.url))],
  providers: specProviders(),
  logger: createLogger({ level: values['log-level'] }),
});
const server = await startServer({
  hub,
  port: Number(values.port),
  host: values.host,
  ...(values['requests-per-turn'] !== undefined
    ? { requestsPerTurn: Number(values['requests-per-turn']) }
    : {}),
  ...(values.backlog !== undefined ? { backlog: Number(values.backlog) } : {}),
  ...(values['accept-handles'] !== undefined ? { acceptHandles: Number(values['accept-handles']) } : {}),
});
process.stdout.write(`${JSON.stringify({ url: server.url, dataDir: dir })}\n`);

let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  await server.close({ timeoutMs: 2000 });
  await hub.close();
  if (!values['data-dir']) rmSync(dir, { recursive: true, force: true });
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());

function pick(env: NodeJS.ProcessEnv, ...names: string[]): Record<string, string> {
  return Object.fromEntries(names.flatMap((n) => (env[n] ? [[n, env[n]]] : [])));
}
