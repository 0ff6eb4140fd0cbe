import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { HttpProblem } from '../api/problem';
import { mapped } from '../incidents/api/incidentRoutes';
import { IncidentIdParam, ListIncidentsQuery, NoteBody } from '../incidents/api/incidentSchemas';
import type { IncidentService } from '../incidents/incidentService';
import type { McpDeps } from './mcpDeps';
import type { CallContext } from './toolCall';
import { registerGuardedTool } from './toolRegistry';

/**
 * Incident tools over the IncidentService the /api/v1/incidents routes use, with their schemas
 * (incidents/api/incidentSchemas.ts). Notes are the one write: a note is human input to the
 * investigation, recorded with the caller as its author, like POST /incidents/:id/notes.
 */
const IncidentRow = z.object({
  incidentId: z.string(),
  title: z.string(),
  service: z.string().optional(),
  severity: z.string(),
  status: z.string(),
  source: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export function incidentService(deps: Pick<McpDeps, 'incidents'>): IncidentService {
  if (!deps.incidents) throw new HttpProblem(503, 'incidents-unavailable', 'incidents are not enabled in this API process');
  return deps.incidents;
}

export function registerIncidentTools(server: McpServer, ctx: CallContext, deps: McpDeps): void {
  registerGuardedTool(
    server,
    ctx,
    {
      name: 'list_incidents',
      title: 'List incidents',
      description: 'Incidents, newest first, optionally by status (investigating, monitoring, resolved) or service.',
      input: ListIncidentsQuery.extend({ limit: z.number().int().min(1).max(100).default(20) }),
      output: z.object({ items: z.array(IncidentRow) }),
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
      policy: { roles: ['viewer'], action: 'mcp.list_incidents' },
    },
    async (q) => ({
      items: await incidentService(deps).repo.list({ limit: q.limit, ...(q.status ? { status: q.status } : {}), ...(q.service ? { service: q.service } : {}) }),
    }),
  );

  registerGuardedTool(
    server,
    ctx,
    {
      name: 'get_incident',
      title: 'Get an incident',
      description:
        "An incident's state: hypotheses with their evidence ids, the queries run (evidence), signals, notes, proposed actions. The postmortem is the resource copilot://incidents/{incidentId}/report.",
      input: z.strictObject(IncidentIdParam.shape),
      output: z.object({ incident: z.record(z.string(), z.unknown()) }),
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
      policy: { roles: ['viewer'], action: 'mcp.get_incident', target: (a) => String(a.incidentId) },
    },
    async ({ incidentId }) => ({ incident: (await mapped(incidentService(deps).getState(incidentId))) as unknown as Record<string, unknown> }),
  );

  registerGuardedTool(
    server,
    ctx,
    {
      name: 'add_incident_note',
      title: 'Add a note to an incident',
      description: 'Adds a note (operator role) to an open incident, with the caller as its author. The investigation takes it into account; it changes no system.',
      input: z.strictObject({ ...IncidentIdParam.shape, ...NoteBody.shape }),
      output: z.object({ note: z.record(z.string(), z.unknown()) }),
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
      policy: { roles: ['operator'], action: 'incident.note', target: (a) => String(a.incidentId) },
    },
    async ({ incidentId, text }) => ({
      note: (await mapped(incidentService(deps).addNote(incidentId, { author: ctx.principal.sub, text }))) as unknown as Record<string, unknown>,
    }),
  );
}
