import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Authenticator } from '../api/auth/authenticator';
import { authenticate } from '../api/auth/middleware';
import type { AppDeps } from '../api/deps';
import { guardedJsonBody, throwDeferredInput } from '../api/inputRules';
import type { RateLimits } from '../api/rateLimits';
import { loggerOf, principalOf, requestIdOf } from '../api/requestContext';
import { incidentBackends } from '../incidents/incidentWiring';
import type { McpDeps } from './mcpDeps';

/**
 * `/mcp`: the streamable-HTTP MCP endpoint, stateless (no MCP session id; every POST carries one
 * JSON-RPC message and gets its answer, as SSE when the server streams progress notifications).
 * In front of it, in this order, the same gates as /api/v1: the per-IP and failed-auth limits,
 * bearer authentication (static token or JWT → principal; 401 problem+json with
 * WWW-Authenticate), the per-subject limit, and the boundary rule on the JSON body. Mounted as
 * plain middleware rather than a Router: MCP answers with JSON-RPC, not problem+json, once the
 * request is authenticated, so it is not one of the REST routes the fuzz suite walks.
 */
export const MCP_PATH = '/mcp';

export type McpEndpointDeps = Pick<AppDeps, 'config' | 'runs' | 'catalogue' | 'fanout' | 'incidents' | 'memory' | 'audit' | 'planner'> & {
  authenticator: Authenticator;
  limits: RateLimits;
  /** Defaults to the adapters built from PROMETHEUS_URL / LOKI_URL / TEMPO_URL. */
  backends?: McpDeps['backends'];
};

/**
 * The MCP SDK and our server on it (~350 modules with ajv) load on the first MCP request, once per
 * process: an API nobody points an MCP client at never carries them (issue #16, idle RSS).
 */
let mcpModules: Promise<[typeof import('@modelcontextprotocol/sdk/server/streamableHttp.js'), typeof import('./copilotMcpServer')]> | undefined;
const loadMcpModules = () => (mcpModules ??= Promise.all([import('@modelcontextprotocol/sdk/server/streamableHttp.js'), import('./copilotMcpServer')]));

function jsonRpcError(res: Response, status: number, message: string, headers: Record<string, string> = {}): void {
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.status(status).json({ jsonrpc: '2.0', error: { code: -32000, message }, id: null });
}

export function mcpEndpoint(deps: McpEndpointDeps): RequestHandler {
  const mcp: McpDeps = {
    config: deps.config,
    runs: deps.runs,
    catalogue: deps.catalogue,
    fanout: deps.fanout,
    backends: deps.backends ?? incidentBackends(deps.config),
    ...(deps.incidents ? { incidents: deps.incidents } : {}),
    ...(deps.memory ? { memory: deps.memory } : {}),
    ...(deps.audit ? { audit: deps.audit } : {}),
    ...(deps.planner ? { planner: deps.planner } : {}),
  };
  const body = guardedJsonBody();

  const serve = async (req: Request, res: Response): Promise<void> => {
    throwDeferredInput(res);
    if (req.method !== 'POST') {
      // Stateless: no server-initiated stream (GET) and no session to end (DELETE).
      jsonRpcError(res, 405, 'Method not allowed: this MCP endpoint is stateless; send JSON-RPC messages with POST.', { Allow: 'POST' });
      return;
    }
    const [{ StreamableHTTPServerTransport }, { createCopilotMcpServer }] = await loadMcpModules();
    const server = createCopilotMcpServer(mcp, {
      principal: principalOf(res),
      log: loggerOf(res),
      ...(mcp.audit ? { audit: mcp.audit } : {}),
      ...(requestIdOf(res) ? { requestId: requestIdOf(res)! } : {}),
    });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  };

  const chain: RequestHandler[] = [deps.limits.beforeAuth(), authenticate(deps.authenticator), deps.limits.perSubject(), body, serve];

  // One middleware running the chain, and only for /mcp itself: `app.use('/mcp')` also matches
  // /mcp/anything, which falls through to the app's 404.
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.path !== '/') {
      next();
      return;
    }
    let i = 0;
    const step = (err?: unknown): void => {
      if (err !== undefined) {
        next(err);
        return;
      }
      const handler = chain[i++];
      if (!handler) return;
      try {
        Promise.resolve(handler(req, res, step)).catch(next);
      } catch (thrown) {
        next(thrown);
      }
    };
    step();
  };
}
