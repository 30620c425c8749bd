/**
 * `evalhub mcp`: Eval Hub's MCP server over stdio, for assistants that start their tools as processes
 * (Claude Desktop, IDEs). It talks to a running hub over HTTP:
 *
 *   evalhub mcp [--url URL] [--api-key KEY]     (defaults: EVALHUB_URL or http://localhost:8000, EVALHUB_API_KEY)
 *
 * stdout carries the MCP protocol only; messages go to stderr.
 */
import { parseArgs } from 'node:util';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CORE_VERSION } from '@evalhub/core';
import { httpBackend } from './mcp/backend.js';
import { createMcpServer } from './mcp/tools.js';

export const MCP_USAGE = `  mcp                        MCP server over stdio (tools and resources over the hub at --url)`;

/** Runs until stdin closes; resolves with the exit code. */
export async function runMcpCommand(argv: string[]): Promise<number> {
  let values: { url?: string | undefined; 'api-key'?: string | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        url: { type: 'string' },
        'api-key': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\nUsage: evalhub mcp [--url URL] [--api-key KEY]\n`);
    return 2;
  }
  if (values.help) {
    process.stderr.write('Usage: evalhub mcp [--url URL] [--api-key KEY]\n');
    return 0;
  }
  const url = values.url ?? process.env.EVALHUB_URL ?? 'http://localhost:8000';
  const apiKey = values['api-key'] ?? process.env.EVALHUB_API_KEY;
  const server = createMcpServer(httpBackend(url, apiKey), CORE_VERSION);
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
  });
  await server.connect(transport);
  process.stderr.write(`evalhub MCP server on stdio, over the hub at ${url}\n`);
  await closed;
  await server.close();
  return 0;
}
