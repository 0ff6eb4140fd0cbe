import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { HttpProblem } from '../api/problem';
import { MemorySearchQuery } from '../api/routes/memories';
import type { McpDeps } from './mcpDeps';
import type { CallContext } from './toolCall';
import { registerGuardedTool } from './toolRegistry';

/** search_memory: GET /api/v1/memories/search as a tool, same schema (its `limit` already accepts a number). */
export function registerMemoryTools(server: McpServer, ctx: CallContext, deps: McpDeps): void {
  registerGuardedTool(
    server,
    ctx,
    {
      name: 'search_memory',
      title: 'Search memory',
      description:
        'Searches what the copilot remembers (past incidents, runbook notes, preferences) by meaning; optional kind, service and team filters. Texts were redacted when stored.',
      input: MemorySearchQuery,
      output: z.object({ items: z.array(z.object({ id: z.string(), text: z.string(), kind: z.string(), score: z.number(), createdAt: z.string() })) }),
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
      policy: { roles: ['viewer'], action: 'mcp.search_memory' },
    },
    async (query) => {
      if (!deps.memory) throw new HttpProblem(503, 'memory-unavailable', 'memory is not configured on this server');
      const items = await deps.memory.search({
        q: query.q,
        limit: query.limit,
        ...(query.kind ? { kinds: [query.kind] } : {}),
        ...(query.service ? { service: query.service } : {}),
        ...(query.team ? { team: query.team } : {}),
      });
      return { items };
    },
  );
}
