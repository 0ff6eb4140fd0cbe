import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import pino from 'pino';
import { createActivities } from '../activities/createActivities';
import { createChatCore, createMemorySummariser, createChatWorkerActivities } from '../chat/chatWiring';
import { ConfigError, loadConfig, runbookEnv } from '../config/env';
import { SqlEventStore } from '../db/eventStore';
import { openDatabase } from '../db/openDatabase';
import { createIncidentService, createIncidentWorkerActivities } from '../incidents/incidentWiring';
import { openMemory } from '../memory/openMemory';
import { RunbookCatalogue } from '../runbooks/runbookCatalogue';
import { ensureSearchAttributes } from '../temporal/ensureSearchAttributes';
import { RunClient } from '../temporal/runClient';
import { createRunbookWorker } from './createWorker';

/** Production worker entry point (`npm run worker`): run N replicas against one Temporal cluster. */
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
  const logger = pino({ level: config.LOG_LEVEL, name: 'copilot-worker' });
  if (!config.DATABASE_URL) {
    logger.fatal('DATABASE_URL is required for `npm run worker`: the embedded PGlite database is single-process, use `./scripts/dev.sh` for that');
    process.exit(1);
  }
  Runtime.install({ telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }) } } });
  const db = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
  const catalogue = await RunbookCatalogue.load(config.RUNBOOKS_DIR);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  await ensureSearchAttributes(connection, config.TEMPORAL_NAMESPACE);
  const events = new SqlEventStore(db);
  // Incident memory lives in the Memory module's long-term tier (same selection as the API).
  const summariser = createMemorySummariser(config, logger);
  const memory = await openMemory(config, db, logger, undefined, summariser ? { summariser } : {});
  const activities = createActivities({
    events,
    catalogue,
    config: {
      commandAllowlist: config.COMMAND_ALLOWLIST,
      commandCwd: config.COMMAND_CWD,
      runbookEnv: runbookEnv(config),
      ...(config.PROMETHEUS_URL ? { prometheusUrl: config.PROMETHEUS_URL } : {}),
      stepLogMaxLines: config.STEP_LOG_MAX_LINES,
    },
  });
  // Chat activities start runs and incidents as the chatting user: they need a Temporal client.
  const clientConnection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const client = new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE });
  const chat = createChatCore(config, catalogue);
  const worker = await createRunbookWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TASK_QUEUE,
    activities: {
      ...activities,
      ...createIncidentWorkerActivities(config, db, events, memory.service),
      ...createChatWorkerActivities(config, chat, {
        events,
        catalogue,
        runs: new RunClient({ client, taskQueue: config.TASK_QUEUE }),
        incidents: createIncidentService(config, client, db),
        memory: memory.service,
      }),
    },
  });
  logger.info({ taskQueue: config.TASK_QUEUE, namespace: config.TEMPORAL_NAMESPACE, runbooks: catalogue.names() }, 'worker started');
  // Runtime.install's default shutdown hooks call worker.shutdown() on SIGINT/SIGTERM.
  await worker.run();
  await chat.close();
  await clientConnection.close();
  await connection.close();
  await memory.close();
  await db.close();
  logger.info('worker stopped');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
