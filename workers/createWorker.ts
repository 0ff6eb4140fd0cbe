import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Activities } from '../activities/createActivities';
import type { ChatActivities } from '../chat/activities/chatActivities';
import type { IncidentActivities } from '../incidents/incidentActivities';

/**
 * Builds the worker that hosts runbookRun and its activities. Tests and dev mode pass a pre-built
 * bundle (bundled once per process); production bundles from source at start-up.
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
  /** Extra worker tuning (concurrency limits, identity, shutdown grace). */
  tuning?: Partial<
    Pick<
      WorkerOptions,
      | 'maxConcurrentActivityTaskExecutions'
      | 'maxConcurrentWorkflowTaskExecutions'
      | 'maxConcurrentLocalActivityExecutions'
      | 'identity'
      | 'shutdownGraceTime'
      | 'shutdownForceTime'
      | 'maxCachedWorkflows'
    >
  >;
}

export async function createRunbookWorker(options: RunbookWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: options.activities,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
    shutdownGraceTime: '10s',
    ...(options.plugins ? { plugins: options.plugins } : {}),
    ...options.tuning,
  });
}
