import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { EVALUATION_STATUSES, isEvalHubError, type EvaluationStatus } from '@evalhub/core';
import { z } from 'zod';
import { HubError } from '../client/hub-client.js';
import type { McpBackend } from './backend.js';
import { compare, summarize } from './summary.js';

const json = (data: unknown): CallToolResult => ({
  content: [{ type: 'text', text: JSON.stringify(data, null, 2) }],
});

/** A tool's failure as a tool result the model can read and act on (message plus field details). */
function failure(err: unknown): CallToolResult {
  const e = err as { message?: string };
  const fields = isEvalHubError(err)
    ? err.details
    : err instanceof HubError
      ? (err.body?.error?.details ?? [])
      : [];
  const details = fields.map((d) => `${d.pointer || '(body)'}: ${d.message}`).join('\n');
  return {
    isError: true,
    content: [{ type: 'text', text: `${e.message ?? String(err)}${details ? `\n${details}` : ''}` }],
  };
}

const guard =
  <A>(fn: (args: A) => Promise<unknown>) =>
  async (args: A): Promise<CallToolResult> => {
    try {
      return json(await fn(args));
    } catch (err) {
      return failure(err);
    }
  };

const RESOURCE_JSON = 'application/json';

/**
 * Eval Hub's MCP server: tools to discover providers, benchmarks and collections, submit an evaluation
 * (the spec's request body), follow it, cancel it and compare two; resources for providers, collections
 * and recent evaluations. The same server runs over stdio (`evalhub mcp`) and Streamable HTTP (/mcp).
 */
export function createMcpServer(backend: McpBackend, version: string): McpServer {
  const server = new McpServer({ name: 'evalhub', version });

  server.registerTool(
    'discover_providers',
    {
      title: 'Discover providers',
      description: 'Installed evaluation providers and their benchmarks (id, category, metrics).',
      inputSchema: { provider_id: z.string().optional().describe('Only this provider.') },
    },
    guard(async ({ provider_id }: { provider_id?: string | undefined }) =>
      (await backend.providers())
        .filter((p) => !provider_id || p.id === provider_id)
        .map((p) => ({
          id: p.id,
          name: p.name,
          description: p.description,
          benchmarks: p.benchmarks.map((b) => ({ id: b.id, category: b.category, metrics: b.metrics })),
        })),
    ),
  );
  server.registerTool(
    'list_benchmarks',
    {
      title: 'List benchmarks',
      description: 'Benchmarks of every installed provider, optionally of one provider or category.',
      inputSchema: { provider_id: z.string().optional(), category: z.string().optional() },
    },
    guard(
      async ({
        provider_id,
        category,
      }: {
        provider_id?: string | undefined;
        category?: string | undefined;
      }) =>
        (await backend.providers())
          .flatMap((p) => p.benchmarks)
          .filter(
            (b) => (!provider_id || b.provider_id === provider_id) && (!category || b.category === category),
          ),
    ),
  );
  server.registerTool(
    'list_collections',
    { title: 'List collections', description: 'Named sets of benchmarks that can be evaluated at once.' },
    guard(async () => backend.collections()),
  );
  server.registerTool(
    'submit_evaluation',
    {
      title: 'Submit an evaluation',
      description:
        "Submit an evaluation request (the body of POST /api/v1/evaluations): a model, either benchmarks or a collection_id, and an experiment. Returns the evaluation's id and status; poll get_evaluation until it is completed, failed, partially_failed or cancelled.",
      inputSchema: {
        model: z
          .object({ server: z.string(), name: z.string(), url: z.string().optional() })
          .passthrough()
          .describe('{server, name, url?, configuration?}: url is the OpenAI-compatible base URL (…/v1).'),
        benchmarks: z
          .array(z.object({ benchmark_id: z.string(), provider_id: z.string() }).passthrough())
          .optional()
          .describe('[{benchmark_id, provider_id, config?}]'),
        collection_id: z.string().optional(),
        experiment: z
          .object({ name: z.string() })
          .passthrough()
          .optional()
          .describe('{name, tags?: {key: value}}: recorded as MLflow experiment {prefix}_{name}.'),
        timeout_seconds: z.number().int().positive().optional(),
      },
    },
    guard(async (request: Record<string, unknown>) => summarize(await backend.submit(request))),
  );
  server.registerTool(
    'get_evaluation',
    {
      title: 'Get an evaluation',
      description: 'Status, scores per benchmark, errors and MLflow links of one evaluation.',
      inputSchema: { evaluation_id: z.string() },
    },
    guard(async ({ evaluation_id }: { evaluation_id: string }) =>
      summarize(await backend.get(evaluation_id)),
    ),
  );
  server.registerTool(
    'list_evaluations',
    {
      title: 'List evaluations',
      description: 'The most recent evaluations, newest first.',
      inputSchema: {
        limit: z.number().int().min(1).max(100).optional(),
        status: z.enum(EVALUATION_STATUSES as [EvaluationStatus, ...EvaluationStatus[]]).optional(),
      },
    },
    guard(async ({ limit, status }: { limit?: number | undefined; status?: EvaluationStatus | undefined }) =>
      (await backend.recent(status ? 100 : (limit ?? 20)))
        .filter((e) => !status || e.status === status)
        .slice(0, limit ?? 20)
        .map(summarize),
    ),
  );
  server.registerTool(
    'cancel_evaluation',
    {
      title: 'Cancel an evaluation',
      description: 'Cancel a pending or running evaluation (finished benchmarks keep their results).',
      inputSchema: { evaluation_id: z.string() },
    },
    guard(async ({ evaluation_id }: { evaluation_id: string }) =>
      summarize(await backend.cancel(evaluation_id)),
    ),
  );
  server.registerTool(
    'compare_evaluations',
    {
      title: 'Compare two evaluations',
      description: 'Every score of two evaluations side by side, with the difference b − a.',
      inputSchema: { evaluation_a: z.string(), evaluation_b: z.string() },
    },
    guard(async ({ evaluation_a, evaluation_b }: { evaluation_a: string; evaluation_b: string }) =>
      compare(await backend.get(evaluation_a), await backend.get(evaluation_b)),
    ),
  );

  const resource = (name: string, uri: string, description: string, read: () => Promise<unknown>): void => {
    server.registerResource(name, uri, { description, mimeType: RESOURCE_JSON }, async () => ({
      contents: [{ uri, mimeType: RESOURCE_JSON, text: JSON.stringify(await read(), null, 2) }],
    }));
  };
  resource('providers', 'evalhub://providers', 'Installed providers and their benchmarks.', () =>
    backend.providers(),
  );
  resource('collections', 'evalhub://collections', 'Benchmark collections.', () => backend.collections());
  resource(
    'recent-evaluations',
    'evalhub://evaluations/recent',
    'The 20 most recent evaluations.',
    async () => (await backend.recent(20)).map(summarize),
  );
  return server;
}
