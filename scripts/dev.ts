import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { SqlAuditLog } from '../audit/auditLog';
import { createApp } from '../api/app';
import { createSlackApi } from '../slack/slackWiring';
import { createAuthenticator } from '../api/auth/authenticator';
import { createChatCore, createMemorySummariser, createSessionService } from '../chat/chatWiring';
import { startHttpServer } from '../api/httpServer';
import { createLogger } from '../api/logger';
import { ConfigError, loadConfig, type AppConfig } from '../config/env';
import { EventFanout } from '../db/eventFanout';
import { SqlEventStore } from '../db/eventStore';
import { openDatabase } from '../db/openDatabase';
import { openMemory } from '../memory/openMemory';
import { durationToMs } from '../domain/duration';
import { registry } from '../observability/metrics';
import { registerTemporalGauges } from '../observability/temporalGauges';
import { startTracing, temporalClientInterceptors } from '../observability/tracing';
import { createIncidentService } from '../incidents/incidentWiring';
import { RunbookCatalogue } from '../runbooks/runbookCatalogue';
import { createRunbookPlanner } from '../runbooks/planner/plannerWiring';
import { findTemporalCli } from '../temporal/cliLocator';
import { freePort, startDevServer } from '../temporal/devServer';
import { assertPortsFree } from './portCheck';
import { RunClient } from '../temporal/runClient';
import { createCopilotWorker } from '../workers/workerWiring';
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
  const [host, portText] = config.TEMPORAL_ADDRESS.split(':');
  const uiPort = Number(new URL(config.TEMPORAL_UI_URL).port || 8233);
  // A second dev.sh on this machine must not silently attach to the first one's Temporal server.
  await assertPortsFree([
    {
      host: host || '127.0.0.1',
      port: Number(portText || 7233),
      what: 'the Temporal frontend',
      variable: 'TEMPORAL_ADDRESS',
      example: `TEMPORAL_ADDRESS=127.0.0.1:${Number(portText || 7233) + 10}`,
    },
    { host: host || '127.0.0.1', port: uiPort, what: 'the Temporal Web UI', variable: 'TEMPORAL_UI_URL', example: `TEMPORAL_UI_URL=http://127.0.0.1:${uiPort + 10}` },
    { host: config.HOST, port: config.PORT, what: 'the API', variable: 'PORT', example: `PORT=${config.PORT + 10}` },
  ]);
  const authenticator = createAuthenticator(config);
  const logger = createLogger({ level: config.LOG_LEVEL });
  const tracing = await startTracing('copilot-dev');
  // The SDK's worker metrics: its Prometheus exporter on a loopback port, appended to the API's /metrics.
  const sdkMetricsPort = config.TEMPORAL_METRICS_PORT || (await freePort());
  Runtime.install({
    logger: new DefaultLogger('WARN'),
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: 'WARN' }) },
      metrics: { prometheus: { bindAddress: `127.0.0.1:${sdkMetricsPort}`, useSecondsForDurations: true, unitSuffix: true, countersTotalSuffix: true } },
    },
    shutdownSignals: [],
  });

  const cliPath = path.resolve(findTemporalCli({ dataDir: config.DATA_DIR }));
  const temporal = await startDevServer({
    cliPath,
    ip: host || '127.0.0.1',
    port: Number(portText || 7233),
    uiPort,
    dbFile: path.resolve(config.DATA_DIR, 'temporal.db'),
    namespace: config.TEMPORAL_NAMESPACE,
    logFile: createWriteStream(path.join(config.DATA_DIR, 'temporal.log'), { flags: 'a' }),
    // Its own process group: Ctrl-C reaches the whole foreground group, and a Temporal server that
    // stopped at once would leave the worker unable to finish its tasks. We stop it last instead.
    detached: true,
  });
  // Even when we exit abruptly (an uncaught error, the second Ctrl-C), the server must not outlive us.
  process.once('exit', () => {
    if (temporal.process.exitCode === null) temporal.process.kill('SIGKILL');
  });
  const db = await openDatabase({ ...(config.DATABASE_URL ? { databaseUrl: config.DATABASE_URL } : {}), dataDir: config.DATA_DIR, logger });
  const catalogue = await RunbookCatalogue.load(config.RUNBOOKS_DIR);
  const events = new SqlEventStore(db);
  const auditLog = new SqlAuditLog(db);
  const summariser = createMemorySummariser(config, logger);
  const memory = await openMemory(config, db, logger, undefined, summariser ? { summariser } : {});

  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, interceptors: temporalClientInterceptors(tracing) });
  const nativeConnection = await NativeConnection.connect({ address: temporal.address });
  // Ordinary starts, although this process hosts the worker: eager start measured slower to
  // run.started and no faster to the first step (temporal/README.md, `core/run-start-eager*`).
  const runs = new RunClient({
    client,
    taskQueue: config.TASK_QUEUE,
    events,
    onEventError: (err, runId, type) => logger.warn({ err: (err as Error).message, runId, type }, 'run event not stored early; the workflow stores it'),
  });
  const incidents = createIncidentService(config, client, db);
  const chat = await createChatCore(config, catalogue);

  const worker = await createCopilotWorker({
    config,
    connection: nativeConnection,
    client,
    db,
    catalogue,
    events,
    auditLog,
    memory: memory.service,
    chat,
    runs,
    incidents,
    logger,
    tracing,
    // In-flight activities get SHUTDOWN.workerGraceMs to finish their writes, then are cancelled;
    // after workerForceMs the worker gives up on them, so one wedged activity cannot hold Ctrl-C.
    tuning: { shutdownGraceTime: SHUTDOWN.workerGraceMs, shutdownForceTime: SHUTDOWN.workerForceMs },
  });
  const workerRun = worker.run();

  const fanout = new EventFanout(events, { logger });
  const slack = await createSlackApi(config, { client, db, logger });
  const app = createApp({
    config,
    runs,
    catalogue,
    fanout,
    eventLog: events,
    authenticator,
    logger,
    memory: memory.service,
    incidents,
    planner: createRunbookPlanner(config, db, catalogue),
    audit: auditLog,
    ...(slack ? { slack } : {}),
    temporalSdkMetricsUrl: `http://127.0.0.1:${sdkMetricsPort}/metrics`,
    chat: { sessions: createSessionService(config, { client, events, fanout, memory: memory.service }), nlp: chat.nlp },
    readiness: {
      temporal: () => connection.withDeadline(Date.now() + 2000, async () => void (await connection.workflowService.getSystemInfo({}))),
      database: () => db.ping(),
    },
  });
  registerTemporalGauges(registry, {
    client,
    stuckAfterMs: durationToMs(config.METRICS_STUCK_RUN_AFTER),
    onError: (err) => logger.warn({ err }, 'run gauges: visibility count failed'),
  });
  const api = await startHttpServer(app, { host: config.HOST, port: config.PORT });
  await slack?.receiver.start();
  printBanner(config, { apiUrl: api.url, uiUrl: temporal.uiUrl ?? '', temporalAddress: temporal.address, cliPath, ...(demoTarget ? { demoUrl: demoTarget.url } : {}) });

  // Order matters: no new requests and no SSE streams first, then the worker finishes (or abandons)
  // its tasks while the database and Temporal are still up, then the database closes after its
  // last write, and the Temporal server goes last. Each stage is bounded; the whole stays < 10 s.
  const stages: [string, number, () => Promise<unknown>][] = [
    ['API and SSE streams', SHUTDOWN.httpGraceMs + 300, () => api.close(SHUTDOWN.httpGraceMs)],
    ['event fan-out', 300, () => fanout.close()],
    ['worker', SHUTDOWN.workerForceMs + 300, () => (worker.shutdown(), workerRun.catch(() => undefined))],
    ['Temporal connections', 300, () => Promise.all([nativeConnection.close(), connection.close()])],
    ['traces', 200, () => tracing.shutdown()],
    ['chat and memory', 700, () => Promise.all([chat.close(), memory.close()])],
    ['database', 1200, () => db.close()],
    ['demo deploy target', 200, async () => demoTarget?.close()],
    ['Temporal dev server', SHUTDOWN.temporalGraceMs, () => stopTemporal(temporal)],
  ];
  let stopping = false;
  let stoppingSince = 0;
  const shutdown = async (signal: NodeJS.Signals) => {
    if (stopping) {
      // One Ctrl-C can arrive more than once: the terminal signals the whole process group, and
      // `npx` and `tsx` (dev.sh's launchers) relay it again. Only a later one means "now".
      if (Date.now() - stoppingSince < SHUTDOWN.repeatedSignalMs) return;
      console.error(`\n${signal} again: exiting now, without waiting for the rest.`);
      process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
    }
    stopping = true;
    stoppingSince = Date.now();
    // Belt and braces: whatever hangs beyond the stage budgets, the process is gone within 10 s.
    setTimeout(() => {
      console.error('Shutdown took too long: exiting.');
      process.exit(1);
    }, SHUTDOWN.totalMs).unref();
    console.log(`\n${signal}: stopping API, worker, database, Temporal (runs resume on the next start; ${signal === 'SIGINT' ? 'Ctrl-C' : 'a signal'} again forces exit)…`);
    const started = Date.now();
    let clean = true;
    for (const [name, budgetMs, stop] of stages) {
      // Through then(): a stage that throws synchronously (a worker already stopped) must not skip the rest.
      const ok = await withinMs(budgetMs, Promise.resolve().then(stop)).catch((err: unknown) => {
        console.warn(`  ${name}: ${(err as Error).message}`);
        return false;
      });
      if (!ok) {
        clean = false;
        console.warn(`  ${name} did not stop within ${budgetMs} ms; going on`);
      }
    }
    console.log(`Stopped in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
    process.exit(clean ? 0 : 1);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

/**
 * Shutdown budgets (ms). The stages' worst cases add up to 9.3 s, under the 10 s promised for
 * Ctrl-C; `totalMs` is the hard stop should a stage ignore its budget.
 */
const SHUTDOWN = { httpGraceMs: 1000, workerGraceMs: 1500, workerForceMs: 3000, temporalGraceMs: 2000, totalMs: 9700, repeatedSignalMs: 500 } as const;

/** Resolves true when `work` settled within `ms`, false when the time ran out first (work goes on). */
async function withinMs(ms: number, work: Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([work.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** SIGTERM (the server flushes its SQLite file), SIGKILL if it is not gone within the budget. */
async function stopTemporal(temporal: Awaited<ReturnType<typeof startDevServer>>): Promise<void> {
  if (temporal.process.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => temporal.process.once('exit', () => resolve()));
  temporal.process.kill('SIGTERM');
  if (!(await withinMs(SHUTDOWN.temporalGraceMs - 300, exited))) {
    temporal.process.kill('SIGKILL');
    await withinMs(300, exited);
  }
}

/** Quotes for a POSIX shell when needed, so printed commands paste as they are. */
function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

function onPath(dir: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((entry) => entry && path.resolve(entry) === dir);
}

interface BannerUrls {
  apiUrl: string;
  uiUrl: string;
  temporalAddress: string;
  cliPath: string;
  demoUrl?: string;
}

function printBanner(config: AppConfig, { apiUrl, uiUrl, temporalAddress, cliPath, demoUrl }: BannerUrls): void {
  const tokens = (config.AUTH_TOKENS ?? '')
    .split(',')
    .filter(Boolean)
    .map((entry) => {
      const [token, who] = entry.split('=');
      return { token: token ?? '', who: who ?? '' };
    });
  const admin = tokens[0]?.token ?? '<your token>';
  const cliDir = path.dirname(cliPath);
  const namespace = config.TEMPORAL_NAMESPACE === 'default' ? '' : ` --namespace ${shellQuote(config.TEMPORAL_NAMESPACE)}`;
  const signalInput = JSON.stringify({ gateId: 'approve', decision: 'approve', approver: '<your name>' });
  const lines = [
    '',
    'copilot is running',
    `  API          ${apiUrl}`,
    `  Console      ${apiUrl}/  (sign in by pasting a token below; built by dev.sh, or npm run console:build)`,
    `  Temporal UI  ${uiUrl}`,
    `  Temporal     ${temporalAddress}`,
    `  temporal CLI ${cliPath}${onPath(cliDir) ? '' : '  (not on PATH)'}`,
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
    'Approve a waiting run as the Temporal UI would (recorded as via temporal-signal, the name as claimed;',
    "a refused signal shows why in the UI's current details and as an approval.refused event):",
    ...(onPath(cliDir) ? [] : [`  export PATH=${shellQuote(cliDir)}:"$PATH"      # puts this temporal CLI on PATH`]),
    `  ${shellQuote(cliPath)} workflow signal --address ${temporalAddress}${namespace} --workflow-id <runId> \\`,
    `       --name approval --input ${shellQuote(signalInput)}`,
    '',
    'Ctrl-C stops everything within 10 s (twice: at once); runs resume on the next start.',
    '',
  ];
  console.log(lines.join('\n'));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
