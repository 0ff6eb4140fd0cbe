import { callApi } from '../../support/apiCall';
import { Writable } from 'node:stream';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { createActivities } from '../../../activities/createActivities';
import { createApp } from '../../../api/app';
import { createAuthenticator } from '../../../api/auth/authenticator';
import { startHttpServer, type RunningHttpServer } from '../../../api/httpServer';
import { createLogger } from '../../../api/logger';
import { createChatCore, createChatWorkerActivities, createMemorySummariser, createSessionService, type ChatCore } from '../../../chat/chatWiring';
import { sessionStreamId } from '../../../chat/model/types';
import { loadConfig, type AppConfig } from '../../../config/env';
import type { StoredEvent } from '../../../domain/events';
import type { RunbookDocument } from '../../../domain/runbook';
import { createIncidentService, createIncidentWorkerActivities } from '../../../incidents/incidentWiring';
import type { IncidentService } from '../../../incidents/incidentService';
import type { MemoryService } from '../../../memory/memoryService';
import { openMemory, type MemoryRuntime } from '../../../memory/openMemory';
import { createRunbookWorker } from '../../../workers/createWorker';
import { AUTH_TOKENS, catalogueOf, TOKENS } from '../../api/support/fixtures';
import { openSse, type SseStream } from '../../api/support/sseClient';
import { openBackends, type Backends } from '../../api/support/testApi';
import { createRunbookPlanner } from '../../../runbooks/planner/plannerWiring';
import { quietRuntime } from '../../incidents/support/incidentStack';

/**
 * The whole chat stack for a test file: real Temporal (bundle from globalSetup), a fresh Postgres
 * database, one worker with runbook + chat activities, and the real API with sessions and /nlp.
 */
export { TOKENS };

/** deploy-service as the shipped one behaves: a production approval gate with four eyes. */
export const DEPLOY: RunbookDocument = {
  name: 'deploy-service',
  description: 'test deploy',
  params: {
    service: { type: 'string', required: true, pattern: '^[a-z0-9-]+$' },
    version: { type: 'string', required: true },
    environment: { type: 'string', enum: ['staging', 'production'], default: 'staging' },
  },
  steps: [
    { id: 'build', type: 'wait', duration: '50ms' },
    {
      id: 'approve',
      type: 'approval',
      needs: ['build'],
      when: "params.environment == 'production'",
      approvers: { roles: ['approver'], count: 1 },
      fourEyes: true,
      message: 'Deploy ${{ params.service }}',
    },
    { id: 'deploy', type: 'wait', needs: ['approve'], duration: '50ms' },
  ],
};

export const RUN_TESTS: RunbookDocument = {
  name: 'run-tests',
  description: 'runs a test suite',
  params: { service: { type: 'string', required: true } },
  steps: [{ id: 'tests', type: 'wait', duration: '50ms' }],
};

export const RESTART: RunbookDocument = {
  name: 'restart-service',
  description: 'restarts a service',
  params: { service: { type: 'string', required: true }, environment: { type: 'string', enum: ['staging', 'production'], default: 'staging' } },
  steps: [{ id: 'restart', type: 'wait', duration: '50ms' }],
};

export interface ChatStack {
  url: string;
  config: AppConfig;
  backends: Backends;
  core: ChatCore;
  /** With `{ memory: true }`: the Memory module (Redis short-term via TEST_REDIS_URL, Postgres). */
  memory?: MemoryService;
  /** With `{ incidents: true }`: the IncidentService chat opens incidents through. */
  incidents?: IncidentService;
  /** Every line the API and memory loggers wrote (JSON). */
  logs: string[];
  call<T = any>(method: string, path: string, options?: { token?: string; json?: unknown }): Promise<{ status: number; body: T; text: string }>;
  createSession(token: string): Promise<string>;
  say(token: string, sessionId: string, content: string): Promise<{ status: number; body: any }>;
  events(sessionId: string): Promise<StoredEvent[]>;
  waitForEvent(sessionId: string, predicate: (e: StoredEvent) => boolean, timeoutMs?: number): Promise<StoredEvent>;
  sse(sessionId: string, token: string): Promise<SseStream>;
  close(): Promise<void>;
}

export interface ChatStackOptions {
  memory?: boolean;
  incidents?: boolean;
  /** More catalogue runbooks beside DEPLOY, RUN_TESTS and RESTART. */
  runbooks?: RunbookDocument[];
  /** The runbook planner (RunbookCompose, /runbooks/compose), promoting into this directory. */
  plannerDir?: string;
}

export async function startChatStack(name: string, env: Record<string, string> = {}, options: ChatStackOptions = {}): Promise<ChatStack> {
  quietRuntime();
  const backends = await openBackends(name);
  const config = loadConfig({
    NODE_ENV: 'test',
    TASK_QUEUE: backends.taskQueue,
    AUTH_TOKENS,
    SSE_HEARTBEAT_MS: '1000',
    PROMETHEUS_URL: process.env.TEST_PROMETHEUS_URL!,
    CHAT_REPLY_WAIT_MS: '20000',
    ...(options.memory ? { REDIS_URL: process.env.TEST_REDIS_URL! } : {}),
    ...(options.incidents ? { INCIDENT_RECHECK_INTERVAL: '1h', INCIDENT_RATE_WINDOW: '10s', BACKEND_QUERY_TIMEOUT_MS: '3000' } : {}),
    ...env,
  });
  const catalogue = catalogueOf([DEPLOY, RUN_TESTS, RESTART, ...(options.runbooks ?? [])]);
  const core = await createChatCore(config, catalogue);
  const logs: string[] = [];
  const logger = createLogger({
    level: 'info',
    destination: new Writable({
      write: (c: Buffer, _e, done) => {
        logs.push(c.toString());
        done();
      },
    }),
  });
  // The Memory module as the entry points wire it: with an LLM provider, compression summarises through it.
  const summariser = options.memory ? createMemorySummariser(config, logger) : undefined;
  const memory: MemoryRuntime | undefined = options.memory ? await openMemory(config, backends.db, logger, undefined, summariser ? { summariser } : {}) : undefined;
  const incidents = options.incidents ? createIncidentService(config, backends.client, backends.db) : undefined;
  const planner = options.plannerDir ? createRunbookPlanner(config, backends.db, catalogue, { catalogueDir: options.plannerDir }) : undefined;
  const connection = await NativeConnection.connect({ address: process.env.TEST_TEMPORAL_ADDRESS! });
  const worker: Worker = await createRunbookWorker({
    connection,
    namespace: 'default',
    taskQueue: backends.taskQueue,
    activities: {
      ...createActivities({ events: backends.store, catalogue, config: { commandAllowlist: [], commandCwd: process.cwd(), runbookEnv: {}, stepLogMaxLines: 100 } }),
      ...(incidents ? createIncidentWorkerActivities(config, backends.db, backends.store, memory?.service) : {}),
      ...createChatWorkerActivities(config, core, {
        events: backends.store,
        catalogue,
        runs: backends.runs,
        ...(incidents ? { incidents } : {}),
        ...(memory ? { memory: memory.service } : {}),
        ...(planner ? { planner } : {}),
      }),
    },
    workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! },
  });
  const running = worker.run();
  const sessions = createSessionService(config, { client: backends.client, events: backends.store, fanout: backends.fanout, ...(memory ? { memory: memory.service } : {}) });
  const app = createApp({
    config,
    runs: backends.runs,
    catalogue,
    fanout: backends.fanout,
    eventLog: backends.store,
    authenticator: createAuthenticator(config),
    logger,
    chat: { sessions, nlp: core.nlp },
    ...(memory ? { memory: memory.service } : {}),
    ...(incidents ? { incidents } : {}),
    ...(planner ? { planner } : {}),
    readiness: { temporal: async () => undefined, database: () => backends.db.ping() },
  });
  const http: RunningHttpServer = await startHttpServer(app, { host: '127.0.0.1', port: 0 });
  const stack: ChatStack = {
    url: http.url,
    config,
    backends,
    core,
    ...(memory ? { memory: memory.service } : {}),
    ...(incidents ? { incidents } : {}),
    logs,
    call: (method, path, options = {}) => callApi(http.url, method, path, options),
    async createSession(token) {
      const res = await stack.call('POST', '/api/v1/sessions', { token });
      if (res.status !== 201) throw new Error(`create session: ${res.status} ${res.text}`);
      return res.body.sessionId as string;
    },
    say: (token, sessionId, content) => stack.call('POST', `/api/v1/sessions/${sessionId}/messages?wait=true`, { token, json: { content } }),
    events: (id) => backends.store.list(sessionStreamId(id), 0, 10_000),
    async waitForEvent(id, predicate, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const found = (await stack.events(id)).find(predicate);
        if (found) return found;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`event not seen within ${timeoutMs} ms; got: ${(await stack.events(id)).map((e) => e.type).join(', ')}`);
    },
    sse: (id, token) => openSse(`${http.url}/api/v1/sessions/${id}/events`, { token }),
    async close() {
      await http.close(500);
      for await (const wf of backends.client.workflow.list({ query: `TaskQueue = "${backends.taskQueue}" AND ExecutionStatus = "Running"` })) {
        await backends.client.workflow
          .getHandle(wf.workflowId)
          .terminate('test finished')
          .catch(() => undefined);
      }
      worker.shutdown();
      await running;
      await connection.close();
      await core.close();
      await memory?.close();
      await backends.close();
    },
  };
  return stack;
}
