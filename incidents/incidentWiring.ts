import type { Client } from '@temporalio/client';
import { parseBackendAuth, type BackendConfig } from '../adapters/backendConfig';
import { LokiClient } from '../adapters/lokiClient';
import { PrometheusClient } from '../adapters/prometheusClient';
import { TempoClient } from '../adapters/tempoClient';
import type { AppConfig } from '../config/env';
import type { Database } from '../db/database';
import { durationToMs } from '../domain/duration';
import type { EventStore } from '../domain/events';
import { MemoryService } from '../memory/memoryService';
import { createIncidentActivities } from './incidentActivities';
import { CompositeNotifier, type IncidentNotifier } from './incidentManager/incidentNotifier';
import { PagerDutyNotifier } from './incidentManager/pagerDutyNotifier';
import { WebhookNotifier } from './incidentManager/webhookNotifier';
import { SqlIncidentMemory, type IncidentMemory } from './incidentMemory';
import { IncidentRepository } from './incidentRepository';
import { IncidentService } from './incidentService';
import { createIncidentLlmRouter, type IncidentLlmConfig } from './llmHypotheses';
import { Redactor } from '../memory/redaction/redactor';
import { MemoryIncidentMemory } from './memoryIncidentMemory';

/** Builds the incident pieces from configuration, for api/main.ts, workers/main.ts and scripts/dev.ts. */
type IncidentConfig = Pick<
  AppConfig,
  | 'PROMETHEUS_URL'
  | 'PROMETHEUS_AUTH'
  | 'PROMETHEUS_TENANT'
  | 'LOKI_URL'
  | 'LOKI_AUTH'
  | 'LOKI_TENANT'
  | 'TEMPO_URL'
  | 'TEMPO_AUTH'
  | 'TEMPO_TENANT'
  | 'BACKEND_QUERY_TIMEOUT_MS'
  | 'INCIDENT_WEBHOOK_URL'
  | 'PAGERDUTY_ROUTING_KEY'
  | 'PAGERDUTY_EVENTS_URL'
  | 'INCIDENT_RATE_WINDOW'
  | 'INCIDENT_RECHECK_INTERVAL'
  | 'INCIDENT_SCOPE_LABELS'
  | 'INCIDENT_ENVIRONMENT'
  | 'INCIDENT_QUERY_BUDGET'
  | 'TASK_QUEUE'
  | 'INCIDENT_TOKEN_BUDGET'
  | 'INCIDENT_LLM_QUERIES_PER_ROUND'
  | 'INCIDENT_CHECK_TIME_BUDGET'
  | 'MCP_SERVERS'
> &
  IncidentLlmConfig;

/** An LLM provider is configured: investigations ask it for hypotheses after the heuristics. */
export function llmConfigured(config: IncidentLlmConfig): boolean {
  return Boolean(config.ANTHROPIC_API_KEY || config.OPENAI_COMPAT_URL);
}

function backend(name: string, url: string | undefined, auth: string | undefined, tenant: string | undefined, timeoutMs: number): Omit<BackendConfig, 'name'> | undefined {
  if (!url) return undefined;
  let parsed;
  try {
    parsed = parseBackendAuth(auth);
  } catch (err) {
    throw new Error(`${name}_AUTH ${(err as Error).message}`);
  }
  return { url, timeoutMs, ...(parsed ? { auth: parsed } : {}), ...(tenant ? { tenant } : {}) };
}

export function incidentBackends(config: IncidentConfig) {
  const t = config.BACKEND_QUERY_TIMEOUT_MS;
  const prom = backend('PROMETHEUS', config.PROMETHEUS_URL, config.PROMETHEUS_AUTH, config.PROMETHEUS_TENANT, t);
  const loki = backend('LOKI', config.LOKI_URL, config.LOKI_AUTH, config.LOKI_TENANT, t);
  const tempo = backend('TEMPO', config.TEMPO_URL, config.TEMPO_AUTH, config.TEMPO_TENANT, t);
  return {
    ...(prom ? { prometheus: new PrometheusClient(prom) } : {}),
    ...(loki ? { loki: new LokiClient(loki) } : {}),
    ...(tempo ? { tempo: new TempoClient(tempo) } : {}),
  };
}

export function incidentNotifier(config: IncidentConfig): IncidentNotifier | undefined {
  const list: IncidentNotifier[] = [];
  if (config.INCIDENT_WEBHOOK_URL) list.push(new WebhookNotifier(config.INCIDENT_WEBHOOK_URL));
  if (config.PAGERDUTY_ROUTING_KEY) list.push(new PagerDutyNotifier(config.PAGERDUTY_ROUTING_KEY, config.PAGERDUTY_EVENTS_URL));
  return list.length ? new CompositeNotifier(list) : undefined;
}

/**
 * Incident memory: the Memory module's long-term tier when a MemoryService is open (kind
 * `incident`, scoped by service), else the Postgres full-text fallback (`incident_memory`).
 */
export function incidentMemoryFor(db: Database, memory?: IncidentMemory | MemoryService): IncidentMemory {
  if (memory instanceof MemoryService) return new MemoryIncidentMemory(memory);
  return memory ?? new SqlIncidentMemory(db);
}

export function createIncidentWorkerActivities(config: IncidentConfig, db: Database, events: EventStore, memory?: IncidentMemory | MemoryService) {
  const notifier = incidentNotifier(config);
  const router = createIncidentLlmRouter(config);
  return createIncidentActivities({
    events,
    repo: new IncidentRepository(db),
    memory: incidentMemoryFor(db, memory),
    ...incidentBackends(config),
    ...(notifier ? { notifier } : {}),
    rateWindow: config.INCIDENT_RATE_WINDOW,
    ...(router.configured
      ? {
          llm: {
            router,
            timeoutMs: config.LLM_TIMEOUT_MS,
            redactor: new Redactor({ redactIps: config.MEMORY_REDACT_IPS }),
            ...(config.MCP_SERVERS ? { mcpServers: config.MCP_SERVERS } : {}),
          },
        }
      : {}),
  });
}

export function createIncidentService(config: IncidentConfig, client: Client, db: Database): IncidentService {
  return new IncidentService(client, new IncidentRepository(db), {
    taskQueue: config.TASK_QUEUE,
    recheckIntervalMs: durationToMs(config.INCIDENT_RECHECK_INTERVAL),
    environment: config.INCIDENT_ENVIRONMENT,
    scopeLabels: config.INCIDENT_SCOPE_LABELS,
    queryLimit: config.INCIDENT_QUERY_BUDGET,
    tokenLimit: config.INCIDENT_TOKEN_BUDGET,
    llmQueriesPerRound: config.INCIDENT_LLM_QUERIES_PER_ROUND,
    checkTimeLimitMs: durationToMs(config.INCIDENT_CHECK_TIME_BUDGET),
    llmHypotheses: llmConfigured(config),
  });
}
