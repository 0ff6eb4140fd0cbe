import type { Client } from '@temporalio/client';
import type { Router } from 'express';
import type { Logger } from 'pino';
import type { AuditLog } from '../audit/auditLog';
import { createSessionService, type ChatConfig } from '../chat/chatWiring';
import type { AppConfig } from '../config/env';
import type { Database } from '../db/database';
import type { EventStore } from '../domain/events';
import type { MemoryService } from '../memory/memoryService';
import type { RunClient } from '../temporal/runClient';
import type { RunbookSource } from '../api/deps';
import type { IncidentService } from '../incidents/incidentService';
import { parseSlackUsers, SlackIdentity, type SlackUsersMap } from './identity';
import type { SlackReceiver } from './receiver';
import { announcingApprovals } from './approvalAnnouncer';
import type { SlackActivities } from './slackActivities';
import { SlackStore } from './slackStore';

/**
 * Builds the Slack surface from configuration: the receiver and mapping routes for the API
 * (`createSlackApi`), the activities for the worker (`createSlackWorkerActivities`). Both are
 * undefined unless SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (HTTP) or SLACK_APP_TOKEN (Socket
 * Mode) are set, so an install without Slack carries none of it: Bolt and the Web API client
 * (~500 modules) are imported only once Slack is configured (issue #16, idle RSS).
 */
export type SlackConfig = Pick<
  AppConfig,
  | 'SLACK_SIGNING_SECRET'
  | 'SLACK_BOT_TOKEN'
  | 'SLACK_APP_TOKEN'
  | 'SLACK_USERS'
  | 'SLACK_DEFAULT_ROLE'
  | 'SLACK_APPROVALS_CHANNEL'
  | 'SLACK_INCIDENTS_CHANNEL'
  | 'SLACK_API_URL'
  | 'SLACK_CONSOLE_URL'
  | 'SLACK_EDIT_INTERVAL_MS'
  | 'TASK_QUEUE'
  | 'TEMPORAL_UI_URL'
  | 'TEMPORAL_NAMESPACE'
>;

export function slackEnabled(config: SlackConfig): boolean {
  return config.SLACK_BOT_TOKEN !== undefined && (config.SLACK_SIGNING_SECRET !== undefined || config.SLACK_APP_TOKEN !== undefined);
}

/** What the API mounts: the receiver's router at /slack/events and the mapping routes. */
export interface SlackApi {
  receiver: SlackReceiver;
  router: Router;
  store: SlackStore;
  users: SlackUsersMap;
}

export async function createSlackApi(config: SlackConfig, deps: { client: Client; db: Database; logger: Logger }): Promise<SlackApi | undefined> {
  const users = parseSlackUsers(config.SLACK_USERS);
  if (!slackEnabled(config)) return undefined;
  const { createSlackReceiver } = await import('./receiver');
  const receiver = createSlackReceiver({
    signingSecret: config.SLACK_SIGNING_SECRET ?? '',
    botToken: config.SLACK_BOT_TOKEN!,
    ...(config.SLACK_APP_TOKEN ? { appToken: config.SLACK_APP_TOKEN } : {}),
    client: deps.client,
    taskQueue: config.TASK_QUEUE,
    logger: deps.logger,
  });
  return { receiver, router: receiver.router, store: new SlackStore(deps.db), users };
}

export interface SlackWorkerDeps {
  client: Client;
  db: Database;
  events: Pick<EventStore, 'list'>;
  runs: Pick<RunClient, 'getState' | 'decide' | 'startRun'>;
  /** Incident cards and their buttons (SLACK_INCIDENTS_CHANNEL). */
  incidents?: Pick<IncidentService, 'getState' | 'addNote' | 'feedback' | 'remediationStarted'>;
  catalogue?: RunbookSource;
  /** Redaction of Slack messages uses the Memory module's placeholders when it is configured (as the API's sessions do). */
  memory?: MemoryService;
  audit?: AuditLog;
  logger?: Pick<Logger, 'warn'>;
  /** Follower poll interval (default 500 ms). */
  pollMs?: number;
}

export async function createSlackWorkerActivities(config: SlackConfig & ChatConfig, deps: SlackWorkerDeps): Promise<SlackActivities | undefined> {
  if (!slackEnabled(config)) return undefined;
  const [{ createSlackActivities }, { createWebClient }] = await Promise.all([import('./slackActivities'), import('./webApi')]);
  const store = new SlackStore(deps.db);
  return createSlackActivities({
    web: createWebClient(config.SLACK_BOT_TOKEN!, config.SLACK_API_URL),
    store,
    identity: new SlackIdentity(parseSlackUsers(config.SLACK_USERS), store, config.SLACK_DEFAULT_ROLE),
    runs: deps.runs,
    ...(deps.incidents ? { incidents: deps.incidents } : {}),
    ...(deps.catalogue ? { catalogue: deps.catalogue } : {}),
    // Only create/send/state are used here; waiting for replies is the API's.
    sessions: createSessionService(config, {
      client: deps.client,
      events: deps.events,
      fanout: { subscribe: () => ({ close: () => undefined }) },
      ...(deps.memory ? { memory: deps.memory } : {}),
    }),
    events: deps.events,
    client: deps.client,
    taskQueue: config.TASK_QUEUE,
    ...(deps.audit ? { audit: deps.audit } : {}),
    settings: {
      ...(config.SLACK_APPROVALS_CHANNEL ? { approvalsChannel: config.SLACK_APPROVALS_CHANNEL } : {}),
      ...(config.SLACK_INCIDENTS_CHANNEL ? { incidentsChannel: config.SLACK_INCIDENTS_CHANNEL } : {}),
      links: { temporalUiUrl: config.TEMPORAL_UI_URL, namespace: config.TEMPORAL_NAMESPACE, ...(config.SLACK_CONSOLE_URL ? { consoleUrl: config.SLACK_CONSOLE_URL } : {}) },
      editIntervalMs: config.SLACK_EDIT_INTERVAL_MS,
      pollMs: deps.pollMs ?? 500,
    },
    ...(deps.logger ? { log: (message: string, detail: Record<string, unknown>) => deps.logger!.warn(detail, message) } : {}),
  });
}

/**
 * The worker's event store, announcing every run's approval requests in SLACK_APPROVALS_CHANNEL
 * and every new incident in SLACK_INCIDENTS_CHANNEL (approvalAnnouncer.ts); the store itself when
 * Slack or those channels are not configured.
 */
export async function slackAnnouncingEvents(config: SlackConfig, client: Client, events: EventStore): Promise<EventStore> {
  if (!slackEnabled(config) || (!config.SLACK_APPROVALS_CHANNEL && !config.SLACK_INCIDENTS_CHANNEL)) return events;
  const { startSlackFollower, startSlackIncidentFollower } = await import('./slackActivities');
  return announcingApprovals(events, {
    ...(config.SLACK_APPROVALS_CHANNEL ? { run: (runId: string) => startSlackFollower(client, config.TASK_QUEUE, runId) } : {}),
    ...(config.SLACK_INCIDENTS_CHANNEL ? { incident: (incidentId: string) => startSlackIncidentFollower(client, config.TASK_QUEUE, incidentId) } : {}),
  });
}
