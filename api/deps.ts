import type { Logger } from 'pino';
import type { NlpEngine } from '../chat/nlp/nlpEngine';
import type { SessionService } from '../chat/session/sessionService';
import type { AuditLog } from '../audit/auditLog';
import type { AppConfig } from '../config/env';
import type { StoredEvent } from '../domain/events';
import type { RunbookDefinition } from '../domain/runbook';
import type { IncidentService } from '../incidents/incidentService';
import type { MemoryService } from '../memory/memoryService';
import type { RunbookPlanner } from '../runbooks/planner/runbookPlanner';
import type { RunClient } from '../temporal/runClient';
import type { Authenticator } from './auth/authenticator';
import type { RateLimits } from './rateLimits';
import type { SlackApi } from '../slack/slackWiring';

/**
 * Everything the HTTP API needs from the outside world, injected so tests can run the real app
 * against real servers (or a stand-in for one piece). The ports below are the slices of
 * db/EventFanout and runbooks/RunbookCatalogue the API actually calls.
 */
export type RunOperations = Pick<RunClient, 'startRun' | 'getState' | 'describeRun' | 'exists' | 'listRuns' | 'decide' | 'cancel' | 'pause' | 'resume'>;

export interface RunbookSource {
  list(): readonly unknown[];
  get(name: string): RunbookDefinition | undefined;
  names(): readonly string[];
}

export interface EventSubscriptions {
  /** Replays events with seq > afterSeq, then delivers new ones in order until closed. */
  subscribe(streamId: string, afterSeq: number, listener: (event: StoredEvent) => void): { close(): void };
}

export interface EventLogPosition {
  /** Highest seq of a stream, 0 when empty (db/SqlEventStore). */
  lastSeq(streamId: string): Promise<number>;
}

export interface ReadinessChecks {
  temporal(): Promise<void>;
  database(): Promise<void>;
}

export interface AppDeps {
  config: AppConfig;
  runs: RunOperations;
  catalogue: RunbookSource;
  fanout: EventSubscriptions;
  /** Optional: where a feed stream ends now, so a new approvals-stream client starts there (without it, it replays the feed). */
  eventLog?: EventLogPosition;
  authenticator: Authenticator;
  readiness: ReadinessChecks;
  logger: Logger;
  /** Where /metrics finds the Temporal SDK exporter's text (dev mode: the in-process worker's). */
  temporalSdkMetricsUrl?: string;
  /** Optional: without it, in-process limits from the config (one replica's view). */
  rateLimits?: RateLimits;
  /** Optional: without it the /memories and /sessions routes answer 503. */
  memory?: MemoryService;
  /** Optional: without it /incidents and /webhooks/alertmanager answer 503. */
  incidents?: IncidentService;
  /** Optional: without it /sessions (except memory's DELETE) and /nlp answer 503. */
  chat?: ChatApi;
  /** The audit trail. Optional so partial stacks (benches, narrow tests) need not wire it; api/main.ts and dev.ts always do. Without it nothing is audited and GET /audit answers 503. */
  audit?: AuditLog;
  /** Optional: the runbook planner (runbooks/planner/); without it /runbooks/compose and /runbooks/drafts answer 503. */
  planner?: RunbookPlanner;
  /** Optional: the Slack surface (slack/README.md): receiver at /slack/events and /api/v1/slack/users; without it those answer 404 / 503. */
  slack?: Pick<SlackApi, 'router' | 'store' | 'users'>;
}

/** Chat as the API sees it: sessions (workflows) and the understanding engine. */
export interface ChatApi {
  sessions: SessionService;
  nlp: NlpEngine;
}
