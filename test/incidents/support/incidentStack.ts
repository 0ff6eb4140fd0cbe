import { callApi } from '../../support/apiCall';
import { Writable } from 'node:stream';
import { DefaultLogger, NativeConnection, Runtime, makeTelemetryFilterString, type Worker } from '@temporalio/worker';
import { createActivities } from '../../../activities/createActivities';
import { createApp } from '../../../api/app';
import { createAuthenticator } from '../../../api/auth/authenticator';
import { startHttpServer, type RunningHttpServer } from '../../../api/httpServer';
import { createLogger } from '../../../api/logger';
import { loadConfig, type AppConfig } from '../../../config/env';
import type { StoredEvent } from '../../../domain/events';
import { createIncidentService, createIncidentWorkerActivities } from '../../../incidents/incidentWiring';
import type { IncidentService } from '../../../incidents/incidentService';
import type { MemoryService } from '../../../memory/memoryService';
import { openMemory, type MemoryRuntime } from '../../../memory/openMemory';
import { createRunbookWorker } from '../../../workers/createWorker';
import { AUTH_TOKENS, catalogueOf, TOKENS } from '../../api/support/fixtures';
import { openBackends, type Backends } from '../../api/support/testApi';
import type { RunbookDocument } from '../../../domain/runbook';

/**
 * The whole incident stack for a test file: real Temporal (bundle from globalSetup), a fresh
 * Postgres database, a worker with runbook + incident activities, and the real API (with the
 * incident routes and the Alertmanager webhook) on an ephemeral port.
 */
export const WEBHOOK_TOKEN = 'am-webhook-token-0123456789';
export { TOKENS };

export interface IncidentStack {
  url: string;
  /** The per-file database, for worker processes. */
  databaseUrl: string;
  backends: Backends;
  config: AppConfig;
  incidents: IncidentService;
  /** With `{ memory: true }`: the Memory module the worker's incident memory goes through. */
  memory?: MemoryService;
  call<T = any>(method: string, path: string, options?: { token?: string; json?: unknown }): Promise<{ status: number; body: T; text: string }>;
  events(incidentId: string): Promise<StoredEvent[]>;
  waitForEvent(incidentId: string, predicate: (e: StoredEvent) => boolean, timeoutMs?: number): Promise<StoredEvent>;
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  close(): Promise<void>;
}

const restart: RunbookDocument = {
  name: 'restart-service',
  params: { service: { type: 'string', required: true }, environment: { type: 'string', default: 'production' } },
  steps: [{ id: 'approve', type: 'approval', approvers: { roles: ['approver'], count: 1 }, fourEyes: true, message: 'restart?' }],
};

export function quietRuntime(): void {
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } } });
  } catch {
    // installed already by another file in this worker process
  }
}

export async function startIncidentStack(
  name: string,
  env: Record<string, string> = {},
  // runbooks / runbookEnv: a catalogue beyond restart-service and the env its steps see (the live faults' deploy).
  options: { worker?: boolean; memory?: boolean; runbooks?: RunbookDocument[]; runbookEnv?: Record<string, string> } = {},
): Promise<IncidentStack> {
  quietRuntime();
  const backends = await openBackends(name);
  const config = loadConfig({
    NODE_ENV: 'test',
    TASK_QUEUE: backends.taskQueue,
    AUTH_TOKENS,
    ALERTMANAGER_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
    SSE_HEARTBEAT_MS: '1000',
    INCIDENT_RECHECK_INTERVAL: '1h',
    INCIDENT_RATE_WINDOW: '10s',
    BACKEND_QUERY_TIMEOUT_MS: '3000',
    ...env,
  });
  const catalogue = catalogueOf([restart, ...(options.runbooks ?? [])]);
  const incidents = createIncidentService(config, backends.client, backends.db);
  const logger = createLogger({ level: 'warn', destination: new Writable({ write: (_c, _e, done) => done() }) });
  const app = createApp({
    config,
    runs: backends.runs,
    catalogue,
    fanout: backends.fanout,
    authenticator: createAuthenticator(config),
    logger,
    incidents,
    readiness: { temporal: async () => undefined, database: () => backends.db.ping() },
  });
  const http: RunningHttpServer = await startHttpServer(app, { host: '127.0.0.1', port: 0 });

  const [{ name: dbName }] = (await backends.db.query<{ name: string }>('select current_database() as name')) as [{ name: string }];
  const databaseUrl = Object.assign(new URL(process.env.TEST_DATABASE_URL!), { pathname: `/${dbName}` }).toString();
  let worker: { worker: Worker; running: Promise<void>; connection: NativeConnection } | undefined;
  // The Memory module as the wiring builds it (tiers and vector store selected from the config).
  const memory: MemoryRuntime | undefined = options.memory ? await openMemory(config, backends.db) : undefined;
  const stack: IncidentStack = {
    url: http.url,
    databaseUrl,
    backends,
    config,
    incidents,
    ...(memory ? { memory: memory.service } : {}),
    call: (method, path, callOptions = {}) => callApi(http.url, method, path, callOptions),
    events: (id) => backends.store.list(id, 0, 10_000),
    async waitForEvent(id, predicate, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const found = (await backends.store.list(id, 0, 10_000)).find(predicate);
        if (found) return found;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`event not seen within ${timeoutMs} ms; got: ${(await backends.store.list(id, 0)).map((e) => e.type).join(', ')}`);
    },
    async startWorker() {
      const connection = await NativeConnection.connect({ address: process.env.TEST_TEMPORAL_ADDRESS! });
      const w = await createRunbookWorker({
        connection,
        namespace: 'default',
        taskQueue: backends.taskQueue,
        activities: {
          ...createActivities({
            events: backends.store,
            catalogue,
            config: { commandAllowlist: [], commandCwd: process.cwd(), runbookEnv: options.runbookEnv ?? {}, stepLogMaxLines: 100 },
          }),
          ...createIncidentWorkerActivities(config, backends.db, backends.store, memory?.service),
        },
        workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! },
      });
      worker = { worker: w, running: w.run(), connection };
    },
    async stopWorker() {
      if (!worker) return;
      worker.worker.shutdown();
      await worker.running;
      await worker.connection.close();
      worker = undefined;
    },
    async close() {
      await http.close(500);
      await stack.stopWorker();
      // Open investigations would keep waiting for their re-check timer: end them.
      for await (const wf of backends.client.workflow.list({ query: `TaskQueue = "${backends.taskQueue}" AND ExecutionStatus = "Running"` })) {
        await backends.client.workflow
          .getHandle(wf.workflowId)
          .terminate('test finished')
          .catch(() => undefined);
      }
      await memory?.close();
      await backends.close();
    },
  };
  if (options.worker !== false) await stack.startWorker();
  return stack;
}
