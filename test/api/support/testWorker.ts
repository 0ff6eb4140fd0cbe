import { DefaultLogger, NativeConnection, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { createActivities, type RunbookLookup } from '../../../activities/createActivities';
import { createRunbookWorker } from '../../../workers/createWorker';
import type { Backends } from './testApi';

/** A real runbook worker (pre-built bundle from globalSetup) on the backends' own task queue. */
export interface TestWorker {
  stop(): Promise<void>;
}

function quietRuntime(): void {
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } } });
  } catch {
    // Already installed in this process by another test file: keep that one.
  }
}

export async function startTestWorker(backends: Backends, catalogue: RunbookLookup): Promise<TestWorker> {
  quietRuntime();
  const connection = await NativeConnection.connect({ address: process.env.TEST_TEMPORAL_ADDRESS! });
  const worker = await createRunbookWorker({
    connection,
    namespace: 'default',
    taskQueue: backends.taskQueue,
    activities: createActivities({
      events: backends.store,
      catalogue,
      config: { commandAllowlist: [], commandCwd: process.cwd(), runbookEnv: {}, stepLogMaxLines: 100 },
    }),
    workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! },
  });
  const running = worker.run();
  return {
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}
