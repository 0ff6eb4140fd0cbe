import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import pino from 'pino';
import { createActivities } from '../activities/createActivities';
import { createApp } from '../api/app';
import { createAuthenticator } from '../api/auth/authenticator';
import { startHttpServer } from '../api/httpServer';
import { loadConfig } from '../config/env';
import { EventFanout } from '../db/eventFanout';
import { SqlEventStore } from '../db/eventStore';
import { openDatabase } from '../db/openDatabase';
import { createIncidentService, createIncidentWorkerActivities } from '../incidents/incidentWiring';
import { findTemporalCli } from '../temporal/cliLocator';
import { startDevServer } from '../temporal/devServer';
import { RunClient } from '../temporal/runClient';
import { startPostgres } from '../test/support/realServers';
import { createRunbookWorker } from '../workers/createWorker';
import { fmt, summary } from './stats';

/**
 * `npx tsx bench/incidentBench.ts`: Alertmanager webhook POST → `incident.started` delivered by the
 * event fanout (what an SSE client sees), p50/p95 over BENCH_INCIDENTS (30) distinct alert groups.
 * Real Temporal dev server, Postgres, worker and API in this process; no telemetry backends, so
 * the investigation itself is cheap and does not compete with the measurement.
 */
const TOKEN = 'bench-alertmanager-token-000000';

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } } });
  const n = Number(process.env.BENCH_INCIDENTS ?? 30);
  const temporal = await startDevServer({ cliPath: findTemporalCli(), uiPort: false });
  const postgres = await startPostgres();
  const db = await openDatabase({ databaseUrl: postgres.url, dataDir: '/nonexistent' });
  const events = new SqlEventStore(db);
  const config = loadConfig({ PORT: '0', LOG_LEVEL: 'silent', TASK_QUEUE: 'bench-incidents', ALERTMANAGER_WEBHOOK_TOKEN: TOKEN, INCIDENT_RECHECK_INTERVAL: '1h' });
  const native = await NativeConnection.connect({ address: temporal.address });
  const worker = await createRunbookWorker({
    connection: native,
    namespace: 'default',
    taskQueue: config.TASK_QUEUE,
    activities: {
      ...createActivities({ events, catalogue: { get: () => undefined }, config: { commandAllowlist: [], commandCwd: process.cwd(), runbookEnv: {}, stepLogMaxLines: 100 } }),
      ...createIncidentWorkerActivities(config, db, events),
    },
  });
  const running = worker.run();
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection });
  const fanout = new EventFanout(events, {});
  const app = createApp({
    config,
    runs: new RunClient({ client, taskQueue: config.TASK_QUEUE }),
    catalogue: { list: () => [], get: () => undefined, names: () => [] },
    fanout,
    authenticator: createAuthenticator(config),
    logger: pino({ level: 'silent' }),
    incidents: createIncidentService(config, client, db),
    readiness: { temporal: async () => undefined, database: () => db.ping() },
  });
  const api = await startHttpServer(app, { host: '127.0.0.1', port: 0 });

  const samples: number[] = [];
  for (let i = 0; i < n + 3; i++) {
    const fp = randomUUID().slice(0, 16);
    const body = {
      version: '4',
      groupKey: `{}:{alertname="Bench", i="${fp}"}`,
      status: 'firing',
      receiver: 'copilot',
      groupLabels: {},
      commonLabels: { alertname: 'Bench', service: 'bench', severity: 'warning' },
      commonAnnotations: {},
      alerts: [{ status: 'firing', labels: { alertname: 'Bench', service: 'bench' }, annotations: {}, startsAt: new Date().toISOString(), fingerprint: fp }],
    };
    const t0 = performance.now();
    const res = await fetch(`${api.url}/api/v1/webhooks/alertmanager`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const { incidentId } = (await res.json()) as { incidentId: string };
    await new Promise<void>((resolve) => {
      const sub = fanout.subscribe(incidentId, 0, (e) => {
        if (e.type !== 'incident.started') return;
        sub.close();
        resolve();
      });
    });
    if (i >= 3) samples.push(performance.now() - t0); // first three warm the worker up
  }
  const s = summary(samples);
  console.log(`webhook → incident.started (n=${s.n}): p50 ${fmt(s.p50)}, p95 ${fmt(s.p95)}, max ${fmt(s.max)}`);

  await api.close(1000);
  for await (const wf of client.workflow.list({ query: 'ExecutionStatus = "Running"' })) await client.workflow.getHandle(wf.workflowId).terminate('bench done');
  await fanout.close();
  worker.shutdown();
  await running;
  await native.close();
  await connection.close();
  await db.close();
  await postgres.stop();
  await temporal.stop();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
