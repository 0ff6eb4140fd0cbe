import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { Client, Connection } from '@temporalio/client';
import { createApp, type CopilotApp } from '../../../api/app';
import type { AuditLog } from '../../../audit/auditLog';
import { createAuthenticator } from '../../../api/auth/authenticator';
import type { ReadinessChecks, RunbookSource, RunOperations } from '../../../api/deps';
import { startHttpServer, type RunningHttpServer } from '../../../api/httpServer';
import { createLogger } from '../../../api/logger';
import type { RateLimits } from '../../../api/rateLimits';
import { loadConfig } from '../../../config/env';
import type { Database } from '../../../db/database';
import { EventFanout } from '../../../db/eventFanout';
import { SqlEventStore } from '../../../db/eventStore';
import { openDatabase } from '../../../db/openDatabase';
import type { RunbookPlanner } from '../../../runbooks/planner/runbookPlanner';
import { RunClient } from '../../../temporal/runClient';
import { createTestDatabase, type TestDatabase } from './testDatabase';

/**
 * Real backends for API tests: a Temporal client on the test server, a per-file Postgres database
 * with the real event store and fanout. Several API instances (different auth settings) can share
 * one set of backends.
 */
export interface Backends {
  connection: Connection;
  client: Client;
  runs: RunClient;
  db: Database;
  store: SqlEventStore;
  fanout: EventFanout;
  taskQueue: string;
  close(): Promise<void>;
}

export async function openBackends(name: string): Promise<Backends> {
  const address = process.env.TEST_TEMPORAL_ADDRESS;
  if (!address) throw new Error('TEST_TEMPORAL_ADDRESS is not set: run the tests through jest (globalSetup)');
  const testDb: TestDatabase = await createTestDatabase(`api_${name}`);
  const db = await openDatabase({ databaseUrl: testDb.url, dataDir: mkdtempSync(path.join(os.tmpdir(), 'copilot-api-')) });
  const store = new SqlEventStore(db);
  const fanout = new EventFanout(store, { pollIntervalMs: 250 });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: 'default' });
  const taskQueue = `api-${name}-${Date.now().toString(36)}`;
  return {
    connection,
    client,
    runs: new RunClient({ client, taskQueue, events: store }),
    db,
    store,
    fanout,
    taskQueue,
    async close() {
      await fanout.close();
      await db.close();
      await connection.close();
      await testDb.drop();
    },
  };
}

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface TestApi {
  url: string;
  app: CopilotApp;
  http: RunningHttpServer;
  /** Every log line the API wrote, for "no secrets in logs" assertions. */
  logs: string[];
  call<T = any>(method: string, pathname: string, options?: CallOptions): Promise<ApiResponse<T>>;
  close(): Promise<void>;
}

export interface CallOptions {
  token?: string;
  /** Serialised as JSON with Content-Type application/json. */
  json?: unknown;
  /** Sent as-is (for malformed/oversized/wrong-type bodies). */
  raw?: string;
  headers?: Record<string, string>;
}

export interface StartApiOptions {
  env?: Record<string, string>;
  catalogue: RunbookSource;
  readiness?: ReadinessChecks;
  /** Replaces the real RunClient (only to provoke unexpected failures). */
  runs?: RunOperations;
  /** Shared limiters (e.g. Redis-backed, as two replicas would have); default: in-process from env. */
  rateLimits?: RateLimits;
  /** The audit trail (test/audit); default: none, so nothing is audited. */
  audit?: AuditLog;
  /** The runbook planner (runbooks/planner/); default: none, so its routes answer 503. */
  planner?: RunbookPlanner;
}

export async function startApi(backends: Backends, options: StartApiOptions): Promise<TestApi> {
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'debug',
    TEMPORAL_ADDRESS: backends.connection.options.address,
    TASK_QUEUE: backends.taskQueue,
    TEMPORAL_UI_URL: 'http://temporal-ui.test:8233',
    SSE_HEARTBEAT_MS: '1000',
    ...options.env,
  });
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const logger = createLogger({ level: 'debug', destination });
  const app = createApp({
    config,
    runs: options.runs ?? backends.runs,
    catalogue: options.catalogue,
    fanout: backends.fanout,
    authenticator: createAuthenticator(config),
    logger,
    ...(options.rateLimits ? { rateLimits: options.rateLimits } : {}),
    ...(options.audit ? { audit: options.audit } : {}),
    ...(options.planner ? { planner: options.planner } : {}),
    readiness: options.readiness ?? {
      temporal: async () => void (await backends.connection.workflowService.getSystemInfo({})),
      database: () => backends.db.ping(),
    },
  });
  const http = await startHttpServer(app, { host: '127.0.0.1', port: 0 });
  return {
    url: http.url,
    app,
    http,
    logs,
    async call(method, pathname, callOptions = {}) {
      const headers: Record<string, string> = { ...callOptions.headers };
      if (callOptions.token !== undefined) headers.authorization = `Bearer ${callOptions.token}`;
      let body: string | undefined;
      if (callOptions.json !== undefined) {
        body = JSON.stringify(callOptions.json);
        headers['content-type'] ??= 'application/json';
      } else if (callOptions.raw !== undefined) {
        body = callOptions.raw;
      }
      const res = await fetch(`${http.url}${pathname}`, { method, headers, body });
      const text = await res.text();
      let parsed: unknown = text;
      if (/json/.test(res.headers.get('content-type') ?? '') && text) parsed = JSON.parse(text);
      return { status: res.status, headers: res.headers, body: parsed as never, text };
    },
    close: () => http.close(1000),
  };
}
