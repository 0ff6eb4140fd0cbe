import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Activities } from '../activities/createActivities';
import type { ChatActivities } from '../chat/activities/chatActivities';
import type { IncidentActivities } from '../incidents/incidentActivities';
import type { WorkerTuning } from './workerTuning';
import { WORKFLOW_BUNDLE_SOURCE } from './workflowBundle';

/**
 * Builds the worker that hosts runbookRun and its activities. Tests and dev mode pass a pre-built
 * bundle (bundled once per process); production passes WORKFLOW_BUNDLE_PATH's prebuilt bundle
 * (workers/workflowBundle.ts) or, unset, bundles from source at start-up.
 */
export interface RunbookWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** Runbook activities, merged with the incident investigation's and chat's when this worker hosts them. */
  activities: Activities & Partial<IncidentActivities> & Partial<ChatActivities>;
  workflowBundle?: { codePath: string } | { code: string };
  /** Worker plugins, e.g. OpenTelemetryPlugin when tracing is on (needs a bundle built from source). */
  plugins?: WorkerOptions['plugins'];
  /** Worker tuning (task slots, pollers, sticky cache, tuner: workerTuning.ts from WORKER_*), identity, shutdown grace. */
  tuning?: WorkerTuning & Partial<Pick<WorkerOptions, 'identity' | 'shutdownGraceTime' | 'shutdownForceTime'>>;
}

export async function createRunbookWorker(options: RunbookWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: options.activities,
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle }
      : { workflowsPath: WORKFLOW_BUNDLE_SOURCE.workflowsPath, bundlerOptions: { preloadModules: [...WORKFLOW_BUNDLE_SOURCE.preloadModules] } }),
    shutdownGraceTime: '10s',
    ...(options.plugins ? { plugins: options.plugins } : {}),
    ...options.tuning,
  });
}
