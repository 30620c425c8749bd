import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testServer, type TestServer } from './support/harness.js';

// The MCP server over both transports, driven by the official TypeScript SDK's Client: over stdio
// (`evalhub mcp`, a child process talking to the real server on a free port) and over Streamable
// HTTP (the server's /mcp endpoint, behind the same API-key auth). The spec's catalog providers
// (benchmarks that do what their config says) stand in for the engines: the protocol is under test.
const root = join(import.meta.dirname, '..', '..', '..');
const KEY = 'mcp-test-key-0123456789';

let s: TestServer;
beforeAll(async () => {
  s = await testServer({ config: { server: { api_keys: [KEY] } } });
});
afterAll(async () => {
  await s?.stop();
});

type ToolResult = { isError?: boolean; content: { type: string; text?: string }[] };
const parse = (r: unknown): any => JSON.parse((r as ToolResult).content[0]!.text!);

async function exercise(client: Client): Promise<void> {
  const tools = (await client.listTools()).tools.map((t) => t.name);
  expect(tools).toEqual(
    expect.arrayContaining([
      'discover_providers',
      'list_benchmarks',
      'list_collections',
      'submit_evaluation',
      'get_evaluation',
      'list_evaluations',
      'cancel_evaluation',
      'compare_evaluations',
    ]),
  );
  const providers = parse(await client.callTool({ name: 'discover_providers', arguments: {} }));
  expect(providers.map((p: { id: string }) => p.id)).toContain('lm_evaluation_harness');

  const rag = parse(await client.callTool({ name: 'list_benchmarks', arguments: { category: 'rag' } })) as {
    id: string;
    category: string;
  }[];
  expect(rag.map((b) => b.id).sort()).toEqual(['answer_relevancy', 'faithfulness']);
  const collections = parse(await client.callTool({ name: 'list_collections', arguments: {} }));
  expect(Array.isArray(collections)).toBe(true);

  const submit = async (score: number, extra: Record<string, unknown> = {}): Promise<string> => {
    const r = await client.callTool({
      name: 'submit_evaluation',
      arguments: {
        model: { server: 'vllm', name: 'm', url: 'http://127.0.0.1:9/v1' },
        benchmarks: [
          {
            benchmark_id: 'arc_easy',
            provider_id: 'lm_evaluation_harness',
            config: { metrics: { acc: score }, ...extra },
          },
        ],
        experiment: { name: 'mcp', tags: { via: 'mcp' } },
      },
    });
    expect((r as ToolResult).isError, JSON.stringify(r)).toBeFalsy();
    return parse(r).id as string;
  };
  const a = await submit(0.25);
  const b = await submit(0.75);
  for (const id of [a, b]) {
    // Poll as an assistant would, until the evaluation has finished.
    const deadline = Date.now() + 60_000;
    let status = '';
    while (Date.now() < deadline) {
      status = parse(
        await client.callTool({ name: 'get_evaluation', arguments: { evaluation_id: id } }),
      ).status;
      if (status !== 'pending' && status !== 'running') break;
      await s.hub.service.wait(id); // the condition the poll waits for, not a sleep
    }
    expect(status).toBe('completed');
  }
  const got = parse(await client.callTool({ name: 'get_evaluation', arguments: { evaluation_id: b } }));
  expect(got.scores['arc_easy.acc']).toBe(0.75);
  expect(got.mlflow.tracking).toBe('disabled');

  const cmp = parse(
    await client.callTool({ name: 'compare_evaluations', arguments: { evaluation_a: a, evaluation_b: b } }),
  );
  expect(cmp.metrics).toContainEqual({ metric: 'arc_easy.acc', a: 0.25, b: 0.75, delta: 0.5 });

  // Cancel one that would run for a minute: the tool answers at once, the evaluation ends cancelled.
  const slow = await submit(0.5, { durationMs: 60_000 });
  const cancelled = (await client.callTool({
    name: 'cancel_evaluation',
    arguments: { evaluation_id: slow },
  })) as ToolResult;
  expect(cancelled.isError, JSON.stringify(cancelled)).toBeFalsy();
  expect((await s.hub.service.wait(slow)).status).toBe('cancelled');
  expect(
    parse(await client.callTool({ name: 'get_evaluation', arguments: { evaluation_id: slow } })).status,
  ).toBe('cancelled');

  const bad = (await client.callTool({
    name: 'submit_evaluation',
    arguments: {
      model: { server: 'vllm', name: 'm' },
      benchmarks: [{ benchmark_id: 'nope', provider_id: 'ragas' }],
    },
  })) as ToolResult;
  expect(bad.isError).toBe(true);
  expect(bad.content[0]!.text).toContain('/benchmarks/0/benchmark_id');

  const resources = (await client.listResources()).resources.map((r) => r.uri);
  expect(resources).toEqual(
    expect.arrayContaining(['evalhub://providers', 'evalhub://collections', 'evalhub://evaluations/recent']),
  );
  const recent = await client.readResource({ uri: 'evalhub://evaluations/recent' });
  expect(
    JSON.parse((recent.contents[0] as { text: string }).text).map((e: { id: string }) => e.id),
  ).toContain(b);
}

async function connected(transport: Transport): Promise<Client> {
  const client = new Client({ name: 'evalhub-test', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

describe('MCP', () => {
  it('over Streamable HTTP at /mcp, behind the API key', async () => {
    const client = await connected(
      new StreamableHTTPClientTransport(new URL(`${s.url}/mcp`), {
        requestInit: { headers: { Authorization: `Bearer ${KEY}` } },
      }),
    );
    try {
      await exercise(client);
    } finally {
      await client.close();
    }
    const anonymous = await fetch(`${s.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(anonymous.status).toBe(401);
  });

  it('over stdio with `evalhub mcp`', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [
        '--conditions=@evalhub/source',
        '--import',
        'tsx',
        join(root, 'packages/server/src/cli.ts'),
        'mcp',
        '--url',
        s.url,
      ],
      cwd: root,
      env: { ...(process.env as Record<string, string>), EVALHUB_API_KEY: KEY },
      stderr: 'pipe',
    });
    const client = await connected(transport);
    try {
      await exercise(client);
    } finally {
      await client.close();
    }
  });
});
