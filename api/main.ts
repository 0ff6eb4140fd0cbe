import { Client, Connection } from '@temporalio/client';
import { createChatCore, createMemorySummariser, createSessionService } from '../chat/chatWiring';
import { ConfigError, loadConfig, type AppConfig } from '../config/env';
import { redactDatabaseUrl } from '../db/database';
import { EventFanout } from '../db/eventFanout';
import { SqlEventStore } from '../db/eventStore';
import { openDatabase } from '../db/openDatabase';
import { openMemory } from '../memory/openMemory';
import { createIncidentService } from '../incidents/incidentWiring';
import { RunbookCatalogue } from '../runbooks/runbookCatalogue';
import { createRunbookPlanner } from '../runbooks/planner/plannerWiring';
import { ensureSearchAttributes } from '../temporal/ensureSearchAttributes';
import { RunClient } from '../temporal/runClient';
import { createApp } from './app';
import { durationToMs } from '../domain/duration';
import { registry } from '../observability/metrics';
import { registerTemporalGauges } from '../observability/temporalGauges';
import { startTracing, temporalClientInterceptors } from '../observability/tracing';
import { rateLimitsFromConfig } from './rateLimits';
import { createAuthenticator, type Authenticator } from './auth/authenticator';
import { startHttpServer } from './httpServer';
import { createLogger } from './logger';
import { SqlAuditLog } from '../audit/auditLog';
import { createSlackApi } from '../slack/slackWiring';
import { createRedisClient } from '../config/redisClient';

/**
 * `npm run api`: the production API process. It needs a real Postgres (DATABASE_URL) because API
 * replicas and workers share the event log; the embedded PGlite database is single-process and is
 * only used by `npm run dev`, which runs API and worker in one process.
 */
function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

function configOrExit(): { config: AppConfig; authenticator: Authenticator } {
  try {
    const config = loadConfig();
    if (!config.DATABASE_URL) {
      fail(
        [
          'DATABASE_URL is required for `npm run api`.',
          'The embedded PGlite database is single-process: a separate API process cannot share it with the worker.',
          'Set DATABASE_URL=postgres://... for the API and the worker, or run `npm run dev` (API + worker + embedded database in one process).',
        ].join('\n'),
      );
    }
    // Built here so AUTH_TOKENS mistakes are reported like any other configuration error.
    return { config, authenticator: createAuthenticator(config) };
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
}

async function main(): Promise<void> {
  const { config, authenticator } = configOrExit();
  const tracing = await startTracing('copilot-api');
  const logger = createLogger({ level: config.LOG_LEVEL });
  logger.info({ auth: authenticator.describe() }, 'authentication configured');
  if (!config.AUTH_TOKENS && !config.AUTH_JWT_SECRET && !config.AUTH_JWKS_URL) {
    logger.warn('no AUTH_TOKENS, AUTH_JWT_SECRET or AUTH_JWKS_URL: every /api/v1 request will be refused (401)');
  }

  const catalogue = await RunbookCatalogue.load(config.RUNBOOKS_DIR);
  const databaseUrl = config.DATABASE_URL!;
  const db = await openDatabase({ databaseUrl, dataDir: config.DATA_DIR, logger });
  logger.info({ database: redactDatabaseUrl(databaseUrl) }, 'database ready');
  const events = new SqlEventStore(db);
  const fanout = new EventFanout(events, { logger });
  const summariser = createMemorySummariser(config, logger);
  const memory = await openMemory(config, db, logger, undefined, summariser ? { summariser } : {});
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  await ensureSearchAttributes(connection, config.TEMPORAL_NAMESPACE);
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, interceptors: temporalClientInterceptors(tracing) });
  const chat = await createChatCore(config, catalogue);
  // Shared counters across API replicas; the limiter falls back to in-process counts while Redis is down.
  const rateRedis = config.REDIS_URL ? await createRedisClient(config.REDIS_URL, { maxRetriesPerRequest: 1, enableOfflineQueue: false }) : undefined;
  rateRedis?.on('error', (err: Error) => logger.warn({ err: err.message }, 'rate-limit Redis unavailable; per-replica limits apply'));

  // Slack (slack/README.md): HTTP receiver at /slack/events, or Socket Mode with SLACK_APP_TOKEN.
  const slack = await createSlackApi(config, { client, db, logger });
  const app = createApp({
    config,
    runs: new RunClient({
      client,
      taskQueue: config.TASK_QUEUE,
      events,
      onEventError: (err, runId, type) => logger.warn({ err: (err as Error).message, runId, type }, 'run event not stored early; the workflow stores it'),
    }),
    catalogue,
    fanout,
    eventLog: events,
    authenticator,
    logger,
    rateLimits: rateLimitsFromConfig(config, logger, rateRedis),
    memory: memory.service,
    incidents: createIncidentService(config, client, db),
    planner: createRunbookPlanner(config, db, catalogue),
    audit: new SqlAuditLog(db),
    ...(slack ? { slack } : {}),
    chat: { sessions: createSessionService(config, { client, events, fanout, memory: memory.service }), nlp: chat.nlp },
    readiness: {
      temporal: () => connection.withDeadline(Date.now() + 2000, async () => void (await connection.workflowService.getSystemInfo({}))),
      database: () => db.ping(),
    },
  });
  registerTemporalGauges(registry, {
    client,
    stuckAfterMs: durationToMs(config.METRICS_STUCK_RUN_AFTER),
    onError: (err) => logger.warn({ err }, 'run gauges: Temporal visibility count failed'),
  });
  const http = await startHttpServer(app, { host: config.HOST, port: config.PORT });
  logger.info({ url: http.url, temporal: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE }, 'API listening');
  if (slack) {
    await slack.receiver.start();
    logger.info({ mode: slack.receiver.mode }, 'Slack receiver ready');
  }

  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // Order: stop taking requests (ends SSE streams), then the things requests were using.
    await http.close();
    await slack?.receiver.stop();
    await fanout.close();
    await chat.close();
    rateRedis?.disconnect();
    await memory.close();
    await db.close();
    await connection.close();
    await tracing.shutdown();
    logger.info('stopped');
    logger.flush?.();
    process.exit(0);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      shutdown(signal).catch((err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      });
    });
  }
}

main().catch((err: unknown) => {
  console.error('API failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
