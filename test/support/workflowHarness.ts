import { randomUUID } from 'node:crypto';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, NativeConnection, Runtime, makeTelemetryFilterString, type Worker } from '@temporalio/worker';
import { createActivities, type ActivityConfig, type RunbookLookup } from '../../activities/createActivities';
import { SqlEventStore } from '../../db/eventStore';
import type { StoredEvent } from '../../domain/events';
import { RunbookDefinition, type RunbookDocument } from '../../domain/runbook';
import type { Principal } from '../../domain/roles';
import type { RunInput, RunState } from '../../domain/runState';
import { CopilotKind, RequestedBy, RunbookKey, RunStatusKey } from '../../temporal/searchAttributes';
import { createRunbookWorker } from '../../workers/createWorker';
import { createTestDatabase, type TestDatabase } from './testDatabase';

let runtimeInstalled = false;

/** A real worker (bundle built once in globalSetup) on a unique task queue, plus a client and a real event store. */
export interface WorkflowHarness {
  client: Client;
  taskQueue: string;
  events: SqlEventStore;
  database: TestDatabase;
  worker: Worker;
  start(doc: RunbookDocument, params?: Record<string, unknown>, requestedBy?: Principal): Promise<WorkflowHandle>;
  eventsOf(runId: string): Promise<StoredEvent[]>;
  waitForEvent(runId: string, predicate: (e: StoredEvent) => boolean, timeoutMs?: number): Promise<StoredEvent>;
  close(): Promise<void>;
}

export async function createWorkflowHarness(
  options: {
    config?: Partial<ActivityConfig>;
    catalogue?: RunbookLookup;
    /** Another bundle than globalSetup's (test/workers/workflowBundle.test.ts runs a freshly written one). */
    workflowBundle?: { codePath: string };
  } = {},
): Promise<WorkflowHarness> {
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } } });
    runtimeInstalled = true;
  }
  const address = process.env.TEST_TEMPORAL_ADDRESS!;
  const database = await createTestDatabase('wf');
  const events = new SqlEventStore(database.db);
  const taskQueue = `test-${randomUUID()}`;
  const nativeConnection = await NativeConnection.connect({ address });
  const activities = createActivities({
    events,
    catalogue: options.catalogue ?? { get: () => undefined },
    config: { commandAllowlist: [], commandCwd: process.cwd(), runbookEnv: {}, stepLogMaxLines: 1000, ...options.config },
  });
  const worker = await createRunbookWorker({
    connection: nativeConnection,
    namespace: 'default',
    taskQueue,
    activities,
    workflowBundle: options.workflowBundle ?? { codePath: process.env.TEST_WORKFLOW_BUNDLE! },
  });
  const running = worker.run();
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: 'default' });

  const harness: WorkflowHarness = {
    client,
    taskQueue,
    events,
    database,
    worker,
    async start(doc, params = {}, requestedBy = { sub: 'alice', roles: ['operator'] }) {
      const runbook = RunbookDefinition.parse(doc);
      const runId = `run-${randomUUID()}`;
      const input: RunInput = { runId, runbook, params, requestedBy };
      return client.workflow.start('runbookRun', {
        taskQueue,
        workflowId: runId,
        args: [input],
        typedSearchAttributes: [
          { key: CopilotKind, value: 'runbook' },
          { key: RunbookKey, value: runbook.name },
          { key: RunStatusKey, value: 'running' },
          { key: RequestedBy, value: requestedBy.sub },
        ],
      });
    },
    eventsOf: (runId) => events.list(runId, 0, 10_000),
    async waitForEvent(runId, predicate, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const found = (await events.list(runId, 0, 10_000)).find(predicate);
        if (found) return found;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`event not seen within ${timeoutMs} ms; got: ${(await events.list(runId, 0)).map((e) => e.type).join(', ')}`);
    },
    async close() {
      worker.shutdown();
      await running;
      await nativeConnection.close();
      await connection.close();
      await database.drop();
    },
  };
  return harness;
}

export async function resultOf(handle: WorkflowHandle): Promise<RunState> {
  return (await handle.result()) as RunState;
}

/** How many local activities a workflow's history records (each is one `core_local_activity` marker). */
export async function localActivityMarkers(handle: WorkflowHandle): Promise<number> {
  const events = (await handle.fetchHistory()).events ?? [];
  return events.filter((e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_MARKER_RECORDED && e.markerRecordedEventAttributes?.markerName === 'core_local_activity')
    .length;
}
