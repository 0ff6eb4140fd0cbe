import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { NativeConnection, Worker } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createActivities } from '../activities/createActivities';
import { auditedEventStore } from '../audit/auditedEventStore';
import type { AuditLog } from '../audit/auditLog';
import { createChatWorkerActivities, type ChatCore } from '../chat/chatWiring';
import { runbookEnv, type AppConfig } from '../config/env';
import type { Database } from '../db/database';
import type { EventStore } from '../domain/events';
import { createIncidentWorkerActivities } from '../incidents/incidentWiring';
import type { IncidentService } from '../incidents/incidentService';
import type { MemoryService } from '../memory/memoryService';
import { meteredEventStore } from '../observability/runEventMetrics';
import type { Tracing } from '../observability/tracing';
import { createRunbookPlanner } from '../runbooks/planner/plannerWiring';
import type { RunbookCatalogue } from '../runbooks/runbookCatalogue';
import { createSlackWorkerActivities, slackAnnouncingEvents } from '../slack/slackWiring';
import type { RunClient } from '../temporal/runClient';
import { createRunbookWorker, type RunbookWorkerOptions } from './createWorker';
import { workerTuning } from './workerTuning';

/**
 * The one worker wiring, used by `npm run worker` (workers/main.ts) and `./scripts/dev.sh`
 * (scripts/dev.ts): which activities the worker hosts and what each is given. The entry points
 * only open what they own (database, connections, memory, the dev server) and differ in lifecycle.
 */
export interface CopilotWorkerDeps {
  config: AppConfig;
  /** The worker's own connection (polling). */
  connection: NativeConnection;
  /** A client connection: chat and Slack activities start runs and incidents as the user. */
  client: Client;
  db: Database;
  catalogue: RunbookCatalogue;
  /** The plain event store; workflow-side actions are audited as their events are appended. */
  events: EventStore;
  auditLog: AuditLog;
  memory: MemoryService;
  chat: ChatCore;
  runs: RunClient;
  incidents: IncidentService;
  logger: Logger;
  tracing: Tracing;
  tuning?: RunbookWorkerOptions['tuning'];
  /** A prebuilt bundle (WORKFLOW_BUNDLE_PATH, workers/workflowBundle.ts); unset: bundled at start-up. */
  workflowBundle?: RunbookWorkerOptions['workflowBundle'];
}

export async function createCopilotWorker(deps: CopilotWorkerDeps): Promise<Worker> {
  const { config, events, logger } = deps;
  // Workflow-side actions (signal approvals, confirmed chat actions) are audited as their events are appended.
  const audited = auditedEventStore(events, deps.auditLog, (message, err) => logger.error({ err }, message));
  // Loaded only with tracing on, as observability/tracing.ts loads the SDK.
  const { spanProcessor, resource } = deps.tracing;
  const plugins = spanProcessor && resource ? [new (await import('@temporalio/interceptors-opentelemetry')).OpenTelemetryPlugin({ spanProcessor, resource })] : [];
  const slackEvents = await slackAnnouncingEvents(config, deps.client, meteredEventStore(audited));
  const slackIncidentEvents = await slackAnnouncingEvents(config, deps.client, events);
  const slackActivities = await createSlackWorkerActivities(config, {
    client: deps.client,
    db: deps.db,
    events,
    runs: deps.runs,
    incidents: deps.incidents,
    catalogue: deps.catalogue,
    memory: deps.memory,
    audit: deps.auditLog,
    logger,
  });
  return createRunbookWorker({
    connection: deps.connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TASK_QUEUE,
    // WORKER_* tuning from the configuration; an entry point's own tuning (tests, dev) wins.
    tuning: { ...workerTuning(config), ...deps.tuning },
    ...(deps.workflowBundle ? { workflowBundle: deps.workflowBundle } : {}),
    ...(plugins.length ? { plugins } : {}),
    activities: {
      ...createActivities({
        // With SLACK_APPROVALS_CHANNEL, every run's approval request is announced there (slack/approvalAnnouncer.ts).
        events: slackEvents,
        catalogue: deps.catalogue,
        config: {
          commandAllowlist: config.COMMAND_ALLOWLIST,
          // Absolute, so a step's working directory does not depend on where the process was started.
          commandCwd: path.resolve(config.COMMAND_CWD),
          runbookEnv: runbookEnv(config),
          ...(config.PROMETHEUS_URL ? { prometheusUrl: config.PROMETHEUS_URL } : {}),
          stepLogMaxLines: config.STEP_LOG_MAX_LINES,
        },
      }),
      // Incident memory lives in the Memory module's long-term tier (same selection as the API).
      ...createIncidentWorkerActivities(config, deps.db, slackIncidentEvents, deps.memory),
      ...createChatWorkerActivities(config, deps.chat, {
        events: audited,
        catalogue: deps.catalogue,
        runs: deps.runs,
        incidents: deps.incidents,
        memory: deps.memory,
        // RunbookCompose drafts a runbook (runbooks/planner/); the API's planner writes to the same table.
        planner: createRunbookPlanner(config, deps.db, deps.catalogue),
      }),
      // Slack (slack/README.md): only when SLACK_BOT_TOKEN is set, as for the API.
      ...slackActivities,
    },
  });
}
