/**
 * A worker in its own OS process, so tests can SIGKILL it mid-run. Configured through env:
 * TEST_TEMPORAL_ADDRESS, WORKER_DATABASE_URL, WORKER_TASK_QUEUE, TEST_WORKFLOW_BUNDLE.
 */
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createActivities } from '../../activities/createActivities';
import { SqlEventStore } from '../../db/eventStore';
import { openDatabase } from '../../db/openDatabase';
import { createRunbookWorker } from '../../workers/createWorker';

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const db = await openDatabase({ databaseUrl: process.env.WORKER_DATABASE_URL!, dataDir: '/nonexistent' });
  const connection = await NativeConnection.connect({ address: process.env.TEST_TEMPORAL_ADDRESS! });
  const worker = await createRunbookWorker({
    connection,
    namespace: 'default',
    taskQueue: process.env.WORKER_TASK_QUEUE!,
    activities: createActivities({
      events: new SqlEventStore(db),
      catalogue: { get: () => undefined },
      config: { commandAllowlist: [], commandCwd: process.cwd(), runbookEnv: {}, stepLogMaxLines: 100 },
    }),
    workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! },
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
