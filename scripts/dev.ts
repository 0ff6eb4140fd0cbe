import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { createActivities } from '../activities/createActivities';
import { createApp } from '../api/app';
import { createAuthenticator } from '../api/auth/authenticator';
import { createChatCore, createMemorySummariser, createChatWorkerActivities, createSessionService } from '../chat/chatWiring';
import { startHttpServer } from '../api/httpServer';
import { createLogger } from '../api/logger';
import { ConfigError, loadConfig, runbookEnv, type AppConfig } from '../config/env';
import { EventFanout } from '../db/eventFanout';
import { SqlEventStore } from '../db/eventStore';
import { openDatabase } from '../db/openDatabase';
import { openMemory } from '../memory/openMemory';
import { createIncidentService, createIncidentWorkerActivities } from '../incidents/incidentWiring';
import { RunbookCatalogue } from '../runbooks/runbookCatalogue';
import { findTemporalCli } from '../temporal/cliLocator';
import { startDevServer } from '../temporal/devServer';
import { RunClient } from '../temporal/runClient';
import { createRunbookWorker } from '../workers/createWorker';
import { startDemoDeployTarget } from './demoDeployTarget';

/**
 * Command 1 (`./scripts/dev.sh` → here): the whole system in one process on a laptop, no Docker and
 * no API keys. A real Temporal dev server (SQLite file under DATA_DIR, UI on :8233), the embedded
 * PGlite database (unless DATABASE_URL is set), the worker and the API. Everything persists under
 * DATA_DIR, so a restart resumes in-flight runs.
 */
function devDefaults(env: NodeJS.ProcessEnv): void {
  const dataDir = env.DATA_DIR || '.data';
  mkdirSync(dataDir, { recursive: true });
  if (!env.AUTH_TOKENS && !env.AUTH_JWT_SECRET && !env.AUTH_JWKS_URL) {
    const file = path.join(dataDir, 'dev-tokens.json');
    const tokens = existsSync(file)
      ? (JSON.parse(readFileSync(file, 'utf8')) as { admin: string; approver: string })
      : { admin: randomBytes(24).toString('base64url'), approver: randomBytes(24).toString('base64url') };
    writeFileSync(file, JSON.stringify(tokens), { mode: 0o600 });
    env.AUTH_TOKENS = `${tokens.admin}=admin:admin,${tokens.approver}=bob:approver`;
  }
  if (!env.COMMAND_ALLOWLIST) {
    const dir = path.join(env.RUNBOOKS_DIR || 'runbooks', 'scripts');
    const scripts = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.sh')) : [];
    env.COMMAND_ALLOWLIST = scripts.map((f) => `./${path.join(dir, f)}`).join(',');
  }
}

/**
 * Runs record DEPLOY_API_URL when they start, so the demo target must come back on the same port
 * after a restart for in-flight runs to reach it: the port is kept under DATA_DIR.
 */
async function startDemoTargetOnStablePort(dataDir: string): Promise<Awaited<ReturnType<typeof startDemoDeployTarget>>> {
  const file = path.join(dataDir, 'demo-deploy-port');
  const saved = existsSync(file) ? Number(readFileSync(file, 'utf8')) : 0;
  try {
    const target = await startDemoDeployTarget(saved);
    writeFileSync(file, new URL(target.url).port);
    return target;
  } catch (err) {
    console.warn(`demo deploy target: port ${saved} is taken (${(err as Error).message}); runs started before the restart cannot reach it`);
    const target = await startDemoDeployTarget(0);
    writeFileSync(file, new URL(target.url).port);
    return target;
  }
}

function configOrExit(): AppConfig {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
}

async function main(): Promise<void> {
  devDefaults(process.env);
  let demoTarget: Awaited<ReturnType<typeof startDemoDeployTarget>> | undefined;
  if (!process.env.DEPLOY_API_URL) {
    demoTarget = await startDemoTargetOnStablePort(process.env.DATA_DIR || '.data');
    process.env.DEPLOY_API_URL = demoTarget.url;
  }
  const config = configOrExit();
  const authenticator = createAuthenticator(config);
  const logger = createLogger({ level: config.LOG_LEVEL });
  Runtime.install({
    logger: new DefaultLogger('WARN'),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }) } },
    shutdownSignals: [],
  });

  const [host, portText] = config.TEMPORAL_ADDRESS.split(':');
  const uiPort = Number(new URL(config.TEMPORAL_UI_URL).port || 8233);
  const temporal = await startDevServer({
    cliPath: findTemporalCli({ dataDir: config.DATA_DIR }),
    ip: host || '127.0.0.1',
    port: Number(portText || 7233),
    uiPort,
    dbFile: path.resolve(config.DATA_DIR, 'temporal.db'),
    namespace: config.TEMPORAL_NAMESPACE,
    logFile: createWriteStream(path.join(config.DATA_DIR, 'temporal.log'), { flags: 'a' }),
  });
  const db = await openDatabase({ ...(config.DATABASE_URL ? { databaseUrl: config.DATABASE_URL } : {}), dataDir: config.DATA_DIR, logger });
  const catalogue = await RunbookCatalogue.load(config.RUNBOOKS_DIR);
  const events = new SqlEventStore(db);
  const summariser = createMemorySummariser(config, logger);
  const memory = await openMemory(config, db, logger, undefined, summariser ? { summariser } : {});

  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const runs = new RunClient({ client, taskQueue: config.TASK_QUEUE });
  const incidents = createIncidentService(config, client, db);
  const chat = createChatCore(config, catalogue);

  const nativeConnection = await NativeConnection.connect({ address: temporal.address });
  const worker = await createRunbookWorker({
    connection: nativeConnection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TASK_QUEUE,
    activities: {
      ...createIncidentWorkerActivities(config, db, events, memory.service),
      ...createChatWorkerActivities(config, chat, { events, catalogue, runs, incidents, memory: memory.service }),
      ...createActivities({
      events,
      catalogue,
      config: {
        commandAllowlist: config.COMMAND_ALLOWLIST,
        commandCwd: path.resolve(config.COMMAND_CWD),
        runbookEnv: runbookEnv(config),
        ...(config.PROMETHEUS_URL ? { prometheusUrl: config.PROMETHEUS_URL } : {}),
        stepLogMaxLines: config.STEP_LOG_MAX_LINES,
      },
      }),
    },
  });
  const workerRun = worker.run();

  const fanout = new EventFanout(events, { logger });
  const app = createApp({
    config,
    runs,
    catalogue,
    fanout,
    authenticator,
    logger,
    memory: memory.service,
    incidents,
    chat: { sessions: createSessionService(config, { client, events, fanout, memory: memory.service }), nlp: chat.nlp },
    readiness: {
      temporal: () => connection.withDeadline(Date.now() + 2000, async () => void (await connection.workflowService.getSystemInfo({}))),
      database: () => db.ping(),
    },
  });
  const api = await startHttpServer(app, { host: config.HOST, port: config.PORT });
  printBanner(config, api.url, temporal.uiUrl ?? '', demoTarget?.url);

  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping: API, worker, database, Temporal (runs resume on the next start)…');
    await api.close(3000);
    await fanout.close();
    worker.shutdown();
    await workerRun.catch(() => undefined);
    await nativeConnection.close();
    await connection.close();
    await chat.close();
    await memory.close();
    await db.close();
    await demoTarget?.close();
    await temporal.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
}

function printBanner(config: AppConfig, apiUrl: string, uiUrl: string, demoUrl: string | undefined): void {
  const tokens = (config.AUTH_TOKENS ?? '').split(',').filter(Boolean).map((entry) => {
    const [token, who] = entry.split('=');
    return { token: token ?? '', who: who ?? '' };
  });
  const admin = tokens[0]?.token ?? '<your token>';
  const lines = [
    '',
    'copilot is running',
    `  API          ${apiUrl}`,
    `  Temporal UI  ${uiUrl}`,
    `  Database     ${config.DATABASE_URL ? 'Postgres (DATABASE_URL)' : `embedded PGlite in ${path.resolve(config.DATA_DIR, 'pglite')}`}`,
    ...(demoUrl ? [`  Deploy API   ${demoUrl}  (demo stand-in; set DEPLOY_API_URL for a real one)`] : []),
    '',
    'Tokens:',
    ...tokens.map((t) => `  ${t.who.padEnd(16)} ${t.token}`),
    '',
    'Try:',
    `  export TOKEN=${admin}`,
    `  curl -s -H "Authorization: Bearer $TOKEN" ${apiUrl}/api/v1/runbooks`,
    `  curl -s -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \\`,
    `       -d '{"runbook":"deploy-service","params":{"service":"auth","version":"v2.3.1","environment":"production"}}' ${apiUrl}/api/v1/runs`,
    `  curl -N -H "Authorization: Bearer $TOKEN" ${apiUrl}/api/v1/runs/<runId>/events`,
    '',
    'Ctrl-C stops everything; runs resume on the next start.',
    '',
  ];
  console.log(lines.join('\n'));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
