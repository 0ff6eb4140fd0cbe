import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

/** A third-party MCP server on stdio, built with the SDK, spawned by tests as `tsx test/mcp/support/stdioMcpServer.ts`. */
const server = new McpServer({ name: 'fake-stdio', version: '1.0.0' });
server.registerTool('node_status', { description: 'Node conditions', inputSchema: { node: z.string() }, annotations: { readOnlyHint: true } }, async ({ node }) => ({
  content: [{ type: 'text', text: `${node}: MemoryPressure=True, DiskPressure=False` }],
}));
void server.connect(new StdioServerTransport());
