import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { createLogger } from '../api/logger';
import { SqlAuditLog } from '../audit/auditLog';
import { createChatCore, createMemorySummariser } from '../chat/chatWiring';
import { ConfigError, loadConfig } from '../config/env';
import { SqlEventStore } from '../db/eventStore';
import { openDatabase } from '../db/openDatabase';
import { createIncidentService } from '../incidents/incidentWiring';
import { openMemory } from '../memory/openMemory';
import { registry } from '../observability/metrics';
import { startMetricsServer } from '../observability/metricsEndpoint';
import { startTracing, temporalClientInterceptors } from '../observability/tracing';
import { RunbookCatalogue } from '../runbooks/runbookCatalogue';
import { freePort } from '../temporal/devServer';
import { ensureSearchAttributes } from '../temporal/ensureSearchAttributes';
import { RunClient } from '../temporal/runClient';
import { createCopilotWorker } from './workerWiring';
import { prebuiltWorkflowBundle, WorkflowBundleMissingError } from './workflowBundle';

/**
 * Production worker entry point (`npm run worker`, compiled: `npm run start:worker`): run N replicas
 * against one Temporal cluster.
 */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  // Before anything is opened: a missing prebuilt bundle is a deployment error, not a reason to bundle.
  let workflowBundle;
  try {
    workflowBundle = prebuiltWorkflowBundle(config.WORKFLOW_BUNDLE_PATH);
  } catch (err) {
    if (err instanceof WorkflowBundleMissingError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const tracing = await startTracing('copilot-worker');
  const logger = createLogger({ level: config.LOG_LEVEL, name: 'copilot-worker' });
  if (!config.DATABASE_URL) {
    logger.fatal('DATABASE_URL is required for `npm run worker`: the embedded PGlite database is single-process, use `./scripts/dev.sh` for that');
    process.exit(1);
  }
  // The SDK's own worker metrics (task slots, poll latency, sticky cache...) come from its Prometheus
  // exporter on a loopback port; our /metrics on METRICS_PORT appends them, so one target has both.
  const sdkMetricsPort = config.TEMPORAL_METRICS_PORT || (await freePort());
  Runtime.install({
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: 'WARN' }) },
      // Conventional Prometheus names: seconds, unit and _total suffixes (temporal_activity_execution_latency_seconds).
      metrics: { prometheus: { bindAddress: `127.0.0.1:${sdkMetricsPort}`, useSecondsForDurations: true, unitSuffix: true, countersTotalSuffix: true } },
    },
  });
  const db = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
  const catalogue = await RunbookCatalogue.load(config.RUNBOOKS_DIR);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  await ensureSearchAttributes(connection, config.TEMPORAL_NAMESPACE);
  const events = new SqlEventStore(db);
  const summariser = createMemorySummariser(config, logger);
  const memory = await openMemory(config, db, logger, undefined, summariser ? { summariser } : {});
  // Chat activities start runs and incidents as the chatting user: they need a Temporal client.
  const clientConnection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const client = new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE, interceptors: temporalClientInterceptors(tracing) });
  const chat = await createChatCore(config, catalogue);
  const worker = await createCopilotWorker({
    config,
    connection,
    client,
    db,
    catalogue,
    events,
    auditLog: new SqlAuditLog(db),
    memory: memory.service,
    chat,
    runs: new RunClient({
      client,
      taskQueue: config.TASK_QUEUE,
      events,
      onEventError: (err, runId, type) => logger.warn({ err: (err as Error).message, runId, type }, 'run event not stored early; the workflow stores it'),
    }),
    incidents: createIncidentService(config, client, db),
    logger,
    tracing,
    ...(workflowBundle ? { workflowBundle } : {}),
  });
  const metrics =
    config.METRICS_PORT > 0
      ? await startMetricsServer(
          { registry, temporalSdkUrl: `http://127.0.0.1:${sdkMetricsPort}/metrics`, ...(config.METRICS_TOKEN ? { token: config.METRICS_TOKEN } : {}) },
          { host: config.METRICS_HOST, port: config.METRICS_PORT },
        )
      : undefined;
  logger.info({ taskQueue: config.TASK_QUEUE, namespace: config.TEMPORAL_NAMESPACE, runbooks: catalogue.names(), metrics: metrics?.url ?? 'off' }, 'worker started');
  // Runtime.install's default shutdown hooks call worker.shutdown() on SIGINT/SIGTERM.
  await worker.run();
  await metrics?.close();
  await chat.close();
  await clientConnection.close();
  await connection.close();
  await memory.close();
  await db.close();
  await tracing.shutdown();
  logger.info('worker stopped');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
