import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import pino from 'pino';
import { createActivities } from '../activities/createActivities';
import { createApp } from '../api/app';
import { SqlAuditLog } from '../audit/auditLog';
import { createAuthenticator } from '../api/auth/authenticator';
import { startHttpServer, type RunningHttpServer } from '../api/httpServer';
import { loadConfig } from '../config/env';
import type { Database } from '../db/database';
import { EventFanout } from '../db/eventFanout';
import { SqlEventStore } from '../db/eventStore';
import { openDatabase } from '../db/openDatabase';
import { findTemporalCli } from '../temporal/cliLocator';
import { startDevServer, type DevServer } from '../temporal/devServer';
import { RunClient } from '../temporal/runClient';
import { startFakeTarget, type FakeTarget } from '../test/support/fakeDeployTarget';
import { startPostgres, type RunningServer } from '../test/support/realServers';
import { createRunbookWorker } from '../workers/createWorker';
import { workerTuning } from '../workers/workerTuning';

/** Everything a benchmark needs, on this machine: real Temporal, real Postgres (PGlite if absent), API, workers. */
export const TOKENS = { admin: 'bench-admin-token-000000000000', approver: 'bench-approver-token-0000000000' };

export interface BenchEnvironment {
  apiUrl: string;
  /** The same API, but starting runs with eager workflow start on the worker's connection (RunClient's `eagerStartClient`), for the side-by-side row. */
  eagerApiUrl: string;
  client: Client;
  runs: RunClient;
  events: SqlEventStore;
  fanout: EventFanout;
  /**
   * The same events as an API replica in another process sees them: a fanout over its own store,
   * so it learns of appends by NOTIFY only. `fanout` also gets this process's own appends straight
   * from the store (db/eventFanout.ts), the worker's included, as in dev mode.
   */
  notifyFanout: EventFanout;
  target: FakeTarget;
  database: string;
  close(): Promise<void>;
}

export async function startBenchEnvironment(): Promise<BenchEnvironment> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const temporal: DevServer = await startDevServer({ cliPath: findTemporalCli(), uiPort: false });
  let postgres: RunningServer | undefined;
  let db: Database;
  try {
    postgres = await startPostgres();
    db = await openDatabase({ databaseUrl: postgres.url, dataDir: '/nonexistent' });
  } catch (err) {
    console.warn(`Postgres unavailable (${(err as Error).message.split('\n')[0]}); using embedded PGlite`);
    db = await openDatabase({ dataDir: mkdtempSync(path.join(os.tmpdir(), 'copilot-bench-')) });
  }
  const events = new SqlEventStore(db);
  const target = await startFakeTarget();
  const taskQueue = 'bench-runbooks';
  const nativeConnection = await NativeConnection.connect({ address: temporal.address });
  // WORKER_* tuning (workers/README.md) applies to both workers, so the bare baseline gets the same slots.
  const tuning = workerTuning(loadConfig());
  const worker = await createRunbookWorker({
    tuning,
    connection: nativeConnection,
    namespace: 'default',
    taskQueue,
    activities: createActivities({
      events,
      catalogue: { get: () => undefined },
      config: {
        commandAllowlist: [],
        commandCwd: process.cwd(),
        runbookEnv: {},
        stepLogMaxLines: 100,
        // A/B knob: 0 stores every step.started at once, as before the window (activities/stepLifecycle.ts).
        ...(process.env.BENCH_STEP_STARTED_WINDOW_MS ? { stepStartedWindowMs: Number(process.env.BENCH_STEP_STARTED_WINDOW_MS) } : {}),
      },
    }),
  });
  const bareWorker = await Worker.create({
    connection: nativeConnection,
    taskQueue: 'bench-bare',
    workflowsPath: require.resolve('./bareWorkflow'),
    activities: { noop: async () => undefined },
    ...tuning,
  });
  const running = [worker.run(), bareWorker.run()];

  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection });
  const config = loadConfig({
    PORT: '0',
    AUTH_TOKENS: `${TOKENS.admin}=bench-admin:admin,${TOKENS.approver}=bench-approver:approver`,
    LOG_LEVEL: 'silent',
    SSE_HEARTBEAT_MS: '15000',
  });
  // The API and the worker share this process, as in dev mode (scripts/dev.ts): runs start the
  // ordinary way. A second API on the same stack starts them eagerly, for comparison.
  const runs = new RunClient({ client, taskQueue, events });
  const eagerRuns = new RunClient({ client, taskQueue, eagerStartClient: new Client({ connection: nativeConnection }), events });
  const fanout = new EventFanout(events, {});
  const notifyFanout = new EventFanout(new SqlEventStore(db), {});
  const audit = new SqlAuditLog(db);
  const appFor = (runClient: RunClient) =>
    createApp({
      config,
      runs: runClient,
      catalogue: { list: () => [], get: () => undefined, names: () => [] },
      fanout,
      authenticator: createAuthenticator(config),
      logger: pino({ level: 'silent' }),
      // As in production: every mutating request writes its hash-chained audit row.
      audit,
      readiness: { temporal: async () => undefined, database: () => db.ping() },
    });
  const api: RunningHttpServer = await startHttpServer(appFor(runs), { host: '127.0.0.1', port: 0 });
  const eagerApi: RunningHttpServer = await startHttpServer(appFor(eagerRuns), { host: '127.0.0.1', port: 0 });
  return {
    apiUrl: api.url,
    eagerApiUrl: eagerApi.url,
    client,
    runs,
    events,
    fanout,
    notifyFanout,
    target,
    database: postgres ? 'postgres' : 'pglite',
    async close() {
      await api.close(1000);
      await eagerApi.close(1000);
      await fanout.close();
      await notifyFanout.close();
      worker.shutdown();
      bareWorker.shutdown();
      await Promise.allSettled(running);
      await nativeConnection.close();
      await connection.close();
      await db.close();
      await target.close();
      await postgres?.stop();
      await temporal.stop();
    },
  };
}
