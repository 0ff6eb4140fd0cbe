import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { ComposeBody } from '../runbooks/planner/runbookPlanner';
import type { McpDeps } from './mcpDeps';
import type { CallContext } from './toolCall';
import { registerGuardedTool } from './toolRegistry';

/**
 * `compose_runbook`: the planner (runbooks/planner/) for MCP clients, which may only propose. It
 * saves a DRAFT (or, without a model on the API, names the closest catalogue runbooks) and returns
 * its plan and digest; starting or promoting a draft is an admin's act over the REST API or the CLI,
 * and there is deliberately no MCP tool for either.
 */
export function registerPlannerTools(server: McpServer, ctx: CallContext, deps: McpDeps): void {
  const planner = deps.planner;
  if (!planner) return;
  registerGuardedTool(
    server,
    ctx,
    {
      name: 'compose_runbook',
      title: 'Compose a draft runbook',
      description: [
        'Proposes a runbook for a goal (operator role): composed from catalogue step templates and catalogue runbooks only, validated, and saved as a DRAFT with its dry-run plan and digest.',
        'Nothing runs: a human admin reviews the draft and starts or promotes it outside MCP. Without a model on the copilot the answer is the closest catalogue runbooks (source "rules").',
      ].join(' '),
      input: ComposeBody,
      output: z.object({ source: z.enum(['llm', 'rules']), draftId: z.string().optional() }).loose(),
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
      policy: { roles: ['operator'], action: 'runbook.compose', target: (_a, r) => (typeof r?.draftId === 'string' ? r.draftId : undefined) },
    },
    async ({ goal }) => {
      const result = await planner.compose(goal, ctx.principal);
      return result.source === 'llm' ? { draftId: result.draft.id, ...result, startWith: `POST /api/v1/runbooks/drafts/${result.draft.id}/runs (admin)` } : { ...result };
    },
  );
}
