import type { LokiClient } from '../adapters/lokiClient';
import type { PrometheusClient } from '../adapters/prometheusClient';
import type { TempoClient } from '../adapters/tempoClient';
import type { EventSubscriptions, RunbookSource, RunOperations } from '../api/deps';
import type { AuditLog } from '../audit/auditLog';
import type { AppConfig } from '../config/env';
import type { IncidentService } from '../incidents/incidentService';
import type { MemoryService } from '../memory/memoryService';
import type { RunbookPlanner } from '../runbooks/planner/runbookPlanner';

/**
 * What the MCP server calls: the same ports the REST routes use (api/deps.ts), so a tool can never
 * take a side door around roles, four-eyes or the audit trail.
 */
export interface McpDeps {
  config: Pick<AppConfig, 'MCP_ALLOW_APPROVALS' | 'TEMPORAL_UI_URL' | 'TEMPORAL_NAMESPACE'>;
  runs: RunOperations;
  catalogue: RunbookSource;
  fanout: EventSubscriptions;
  incidents?: IncidentService;
  memory?: MemoryService;
  audit?: AuditLog;
  /** The runbook planner: `compose_runbook` (a draft only) is offered when it is wired. */
  planner?: RunbookPlanner;
  /** Read-only observability backends (adapters/), the ones the chat and the investigations use. */
  backends: {
    prometheus?: Pick<PrometheusClient, 'range'>;
    loki?: Pick<LokiClient, 'queryRange'>;
    tempo?: Pick<TempoClient, 'search'>;
  };
}
