import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CallToolRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  ReadResourceRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { MCP_SERVER_NAME, MCP_SERVER_VERSION } from './copilotMcpServer';
import { MCP_PATH } from './httpEndpoint';

/**
 * `copilot mcp`: an MCP server on stdio for local clients (Claude Desktop, Claude Code, Cursor)
 * that forwards every request to the API's `/mcp` endpoint over HTTP with the user's own token.
 * It holds no logic and no credentials of its own: authentication, roles, four-eyes, rate limits
 * and the audit trail all happen in the API, exactly as for a remote MCP client. Progress
 * notifications of a followed `start_run` are relayed with the local client's progress token.
 */
export interface StdioProxyOptions {
  /** Base URL of the API, e.g. http://127.0.0.1:8080 (COPILOT_API_URL). */
  apiUrl: string;
  /** The user's bearer token (COPILOT_TOKEN). */
  token: string;
  /** Defaults to this process's stdin/stdout. */
  transport?: Transport;
  /** Per forwarded request; progress notifications restart it. */
  timeoutMs?: number;
}

export interface StdioProxy {
  close(): Promise<void>;
}

export async function startStdioProxy(options: StdioProxyOptions): Promise<StdioProxy> {
  const upstream = new Client({ name: 'copilot-mcp-stdio', version: MCP_SERVER_VERSION });
  // Connecting first: a wrong URL or token fails here, with the API's answer, before any client talks to us.
  await upstream.connect(
    new StreamableHTTPClientTransport(new URL(MCP_PATH, options.apiUrl), {
      requestInit: { headers: { Authorization: `Bearer ${options.token}` } },
    }),
  );
  const timeout = options.timeoutMs ?? 120_000;
  const capabilities = upstream.getServerCapabilities() ?? {};
  const instructions = upstream.getInstructions();
  const server = new Server(
    { name: MCP_SERVER_NAME, version: MCP_SERVER_VERSION },
    { capabilities: { ...(capabilities.tools ? { tools: {} } : {}), ...(capabilities.resources ? { resources: {} } : {}) }, ...(instructions ? { instructions } : {}) },
  );

  server.setRequestHandler(ListToolsRequestSchema, (req, extra) => upstream.listTools(req.params, { signal: extra.signal, timeout }));
  server.setRequestHandler(CallToolRequestSchema, (req, extra) => {
    const token = req.params._meta?.progressToken;
    const { _meta: _ignored, ...params } = req.params;
    return upstream.callTool(params, undefined, {
      signal: extra.signal,
      timeout,
      resetTimeoutOnProgress: true,
      ...(token !== undefined
        ? {
            onprogress: (p) => {
              void extra.sendNotification({ method: 'notifications/progress', params: { ...p, progressToken: token } }).catch(() => undefined);
            },
          }
        : {}),
    });
  });
  if (capabilities.resources) {
    server.setRequestHandler(ListResourcesRequestSchema, (req, extra) => upstream.listResources(req.params, { signal: extra.signal, timeout }));
    server.setRequestHandler(ListResourceTemplatesRequestSchema, (req, extra) => upstream.listResourceTemplates(req.params, { signal: extra.signal, timeout }));
    server.setRequestHandler(ReadResourceRequestSchema, (req, extra) => upstream.readResource(req.params, { signal: extra.signal, timeout }));
  }

  await server.connect(options.transport ?? new StdioServerTransport());
  return {
    async close() {
      await server.close();
      await upstream.close();
    },
  };
}
