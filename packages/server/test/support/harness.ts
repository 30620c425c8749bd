import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createHub, createLogger, loadConfig, type CreateHubOptions, type Hub } from '@evalhub/core';
import { startServer, type RunningServer } from '../../src/app.js';
import { readSse } from '../../src/client/sse.js';
import { specProviders } from './catalog-provider.js';

export const HEALTHCARE_COLLECTION = {
  id: 'healthcare',
  name: 'Healthcare certification',
  description: 'Reasoning and faithfulness checks.',
  benchmarks: [
    { benchmark_id: 'arc_easy', provider_id: 'lm_evaluation_harness', config: { num_fewshot: 0 } },
    { benchmark_id: 'faithfulness', provider_id: 'ragas', config: {} },
  ],
};

/** Log lines written by the hub's pino logger, parsed. */
export class LogCapture extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  readonly raw: string[] = [];
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue;
      this.raw.push(line);
      this.lines.push(JSON.parse(line) as Record<string, unknown>);
    }
    cb();
  }
}

export interface TestServer extends RunningServer {
  dir: string;
  logs: LogCapture;
  /** Stop the server and the hub. */
  stop(): Promise<void>;
}

export interface TestServerOptions {
  /** Config file fields merged over the defaults. */
  config?: Record<string, unknown>;
  dir?: string;
  hubOptions?: Omit<CreateHubOptions, 'config' | 'logger'>;
  heartbeatMs?: number;
}

/** Writes the config file for a test hub (tracker none, SQLite in `dir`, model server `vllm` configured). */
export function writeConfig(dir: string, extra: Record<string, unknown> = {}): string {
  const file = join(dir, 'evalhub.config.json');
  writeFileSync(
    file,
    JSON.stringify(
      {
        data_dir: dir,
        tracker: 'none',
        discover_plugins: false,
        log_level: 'info',
        model_servers: { vllm: 'http://127.0.0.1:9/v1' },
        collections: [HEALTHCARE_COLLECTION],
        ...extra,
      },
      null,
      2,
    ),
  );
  return file;
}

/** A real hub (SQLite store in a temp folder) behind the real HTTP server on a free port. */
export async function testServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'evalhub-server-'));
  const file = writeConfig(dir, options.config);
  const config = loadConfig({ file, env: {}, cwd: dir });
  const logs = new LogCapture();
  const hub: Hub = await createHub({
    providers: specProviders(),
    ...options.hubOptions,
    config,
    logger: createLogger({ level: 'info', destination: logs }),
  });
  const server = await startServer({
    hub,
    port: 0,
    host: '127.0.0.1',
    app: { processMetrics: false, ...(options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {}) },
  });
  return {
    ...server,
    dir,
    logs,
    async stop() {
      await server.close({ timeoutMs: 2000 });
      await hub.close();
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface HttpResult<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** A small fetch wrapper: JSON in, JSON (or text) out. */
export async function http<T = any>(
  base: string,
  method: string,
  path: string,
  options: { json?: unknown; body?: string | Uint8Array; headers?: Record<string, string> } = {},
): Promise<HttpResult<T>> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | Uint8Array | undefined = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${base}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let parsed: unknown = text;
  if ((res.headers.get('content-type') ?? '').includes('json') && text) parsed = JSON.parse(text);
  return { status: res.status, headers: res.headers, body: parsed as T, text };
}

/** Reads an SSE response until it ends; returns the parsed events with their SSE ids and names. */
export async function readEvents(
  base: string,
  id: string,
  headers: Record<string, string> = {},
): Promise<{
  status: number;
  contentType: string | null;
  raw: string;
  events: { id: number; event: string; data: any }[];
}> {
  const res = await fetch(`${base}/api/v1/evaluations/${id}/events`, {
    headers: { accept: 'text/event-stream', ...headers },
  });
  const raw = await res.text();
  const events = [];
  for await (const m of readSse([new TextEncoder().encode(raw)])) {
    events.push({ id: Number(m.id), event: m.event ?? '', data: JSON.parse(m.data) });
  }
  return { status: res.status, contentType: res.headers.get('content-type'), raw, events };
}
