import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { stringify as toYaml } from 'yaml';
import { RunbookNameParam, RunIdParam } from '../api/schemas';
import { IncidentIdParam } from '../incidents/api/incidentSchemas';
import { renderReport } from '../incidents/report';
import { hasRole } from '../domain/roles';
import { toProblem } from '../api/errorHandler';
import type { McpDeps } from './mcpDeps';
import type { CallContext } from './toolCall';
import { mapped } from '../incidents/api/incidentRoutes';
import { incidentService } from './incidentTools';

/**
 * Resources (viewer role, like the GET routes): runbooks as YAML, incident postmortems as markdown
 * (the final report once resolved, a live draft before), run state as JSON. Template variables
 * are checked with the REST path schemas before anything is looked up.
 */
const LISTED = 20;

function asMcpError(err: unknown): McpError {
  if (err instanceof McpError) return err;
  const problem = toProblem(err);
  if (problem && problem.status < 500) return new McpError(problem.status === 404 ? ErrorCode.InvalidParams : ErrorCode.InvalidRequest, problem.detail);
  return new McpError(ErrorCode.InternalError, 'the resource could not be read; the request id identifies it in the server logs');
}

function variable(value: string | string[] | undefined): string {
  return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
}

export function registerResources(server: McpServer, ctx: CallContext, deps: McpDeps): void {
  const read = async <T>(fn: () => Promise<T>): Promise<T> => {
    if (!hasRole(ctx.principal, 'viewer')) throw new McpError(ErrorCode.InvalidRequest, 'forbidden: reading resources requires the "viewer" role');
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof McpError)) ctx.log.warn({ err }, 'MCP resource read failed');
      throw asMcpError(err);
    }
  };
  const checked = <T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } }, value: unknown, what: string): T => {
    const result = schema.safeParse(value);
    if (!result.success) throw new McpError(ErrorCode.InvalidParams, `invalid ${what} in the resource URI`);
    return result.data;
  };

  server.registerResource(
    'runbook',
    new ResourceTemplate('copilot://runbooks/{name}', {
      list: async () =>
        read(async () => ({
          resources: deps.catalogue.names().map((name) => ({ uri: `copilot://runbooks/${name}`, name: `runbook ${name}`, mimeType: 'application/yaml' })),
        })),
    }),
    { title: 'Runbook', description: 'A catalogue runbook as YAML (defaults applied)', mimeType: 'application/yaml' },
    async (uri, vars) =>
      read(async () => {
        const { name } = checked(RunbookNameParam, { name: variable(vars.name) }, 'runbook name');
        const runbook = deps.catalogue.get(name);
        if (!runbook) throw new McpError(ErrorCode.InvalidParams, `no runbook named "${name}" in the catalogue`);
        return { contents: [{ uri: uri.href, mimeType: 'application/yaml', text: toYaml(runbook) }] };
      }),
  );

  server.registerResource(
    'incident-report',
    new ResourceTemplate('copilot://incidents/{incidentId}/report', {
      list: async () =>
        read(async () => ({
          resources: deps.incidents
            ? (await deps.incidents.repo.list({ limit: LISTED })).map((i) => ({
                uri: `copilot://incidents/${i.incidentId}/report`,
                name: `incident ${i.incidentId}`,
                description: i.title.slice(0, 200),
                mimeType: 'text/markdown',
              }))
            : [],
        })),
    }),
    { title: 'Incident report', description: "An incident's postmortem as markdown: timeline, hypotheses, evidence queries", mimeType: 'text/markdown' },
    async (uri, vars) =>
      read(async () => {
        const { incidentId } = checked(IncidentIdParam, { incidentId: variable(vars.incidentId) }, 'incident id');
        const svc = incidentService(deps);
        const text = (await svc.repo.getReport(incidentId)) ?? renderReport(await mapped(svc.getState(incidentId)));
        return { contents: [{ uri: uri.href, mimeType: 'text/markdown', text }] };
      }),
  );

  server.registerResource(
    'run',
    new ResourceTemplate('copilot://runs/{runId}', {
      list: async () =>
        read(async () => ({
          resources: (await deps.runs.listRuns({ pageSize: LISTED })).items.map((r) => ({
            uri: `copilot://runs/${r.runId}`,
            name: `run ${r.runId}`,
            description: `${r.runbook}: ${r.status}`,
            mimeType: 'application/json',
          })),
        })),
    }),
    { title: 'Run state', description: "A run's state as JSON (the same as get_run)", mimeType: 'application/json' },
    async (uri, vars) =>
      read(async () => {
        const { runId } = checked(RunIdParam, { runId: variable(vars.runId) }, 'run id');
        const state = await deps.runs.getState(runId);
        return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(state, null, 2) }] };
      }),
  );
}
