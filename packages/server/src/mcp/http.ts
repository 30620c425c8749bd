import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { readJsonBody } from '../body.js';
import type { RouteModule } from '../routes/route-module.js';
import { hubBackend } from './backend.js';
import { createMcpServer } from './tools.js';

/** Where the server answers MCP over Streamable HTTP (behind the same API-key auth as the API). */
export const MCP_PATH = '/mcp';

/**
 * The MCP endpoint: stateless Streamable HTTP (every POST carries a JSON-RPC message and gets its
 * answer, as JSON or a short event stream); GET/DELETE answer 405 as the transport does for stateless
 * servers. A fresh MCP server per request, over the hub in this process.
 */
export const mcpRoutes: RouteModule = (router, { hub }) => {
  const backend = hubBackend(hub);
  router.all(MCP_PATH, async (ctx) => {
    const body =
      ctx.method === 'POST' ? await readJsonBody(ctx.req, hub.config.server.bodyLimitBytes) : undefined;
    const server = createMcpServer(backend, hub.version);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    ctx.respond = false;
    ctx.res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(ctx.req, ctx.res, body);
  });
};
