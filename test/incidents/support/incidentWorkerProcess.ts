/**
 * A worker (runbook + incident activities) in its own OS process, so a test can SIGKILL it
 * mid-investigation. Env: TEST_TEMPORAL_ADDRESS, TEST_WORKFLOW_BUNDLE, WORKER_DATABASE_URL,
 * WORKER_TASK_QUEUE, plus the copilot's own variables (LOKI_URL, …) read by loadConfig.
 */
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../../../activities/createActivities';
import { loadConfig } from '../../../config/env';
import { SqlEventStore } from '../../../db/eventStore';
import { openDatabase } from '../../../db/openDatabase';
import { createIncidentWorkerActivities } from '../../../incidents/incidentWiring';

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const config = loadConfig({ ...process.env, TASK_QUEUE: process.env.WORKER_TASK_QUEUE! });
  const db = await openDatabase({ databaseUrl: process.env.WORKER_DATABASE_URL!, dataDir: '/nonexistent' });
  const events = new SqlEventStore(db);
  const connection = await NativeConnection.connect({ address: process.env.TEST_TEMPORAL_ADDRESS! });
  // Worker.create directly (not createRunbookWorker) for a short sticky timeout: after a SIGKILL
  // the server moves the workflow off the dead worker's sticky queue in 1 s instead of 10 s.
  const worker = await Worker.create({
    connection,
    namespace: 'default',
    taskQueue: config.TASK_QUEUE,
    activities: {
      ...createActivities({ events, catalogue: { get: () => undefined }, config: { commandAllowlist: [], commandCwd: process.cwd(), runbookEnv: {}, stepLogMaxLines: 100 } }),
      ...createIncidentWorkerActivities(config, db, events),
    },
    workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! },
    stickyQueueScheduleToStartTimeout: '1s',
  });
  process.stdout.write('worker-ready\n');
  await worker.run();
  await connection.close();
  await db.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
