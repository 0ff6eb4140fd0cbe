import { randomUUID } from 'node:crypto';
import { Client } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { createActivities } from '../../activities/createActivities';
import { RunbookDefinition } from '../../domain/runbook';
import type { RunState } from '../../domain/runState';
import { RunClient } from '../../temporal/runClient';
import { createRunbookWorker } from '../../workers/createWorker';
import { createWorkflowHarness, type WorkflowHarness } from '../support/workflowHarness';

/**
 * Eager workflow start (RunClient's `eagerStartClient`, used where the API hosts the worker): the
 * run's first workflow task comes back in the start response and goes to the worker sharing that
 * NativeConnection. Everything else about the start is unchanged: idempotency keys, events, results.
 */
let h: WorkflowHarness;
let native: NativeConnection;
let worker: Worker;
let running: Promise<void>;
const taskQueue = `eager-${randomUUID()}`;

beforeAll(async () => {
  h = await createWorkflowHarness();
  native = await NativeConnection.connect({ address: process.env.TEST_TEMPORAL_ADDRESS! });
  worker = await createRunbookWorker({
    connection: native,
    namespace: 'default',
    taskQueue,
    activities: createActivities({
      events: h.events,
      catalogue: { get: () => undefined },
      config: { commandAllowlist: [], commandCwd: process.cwd(), runbookEnv: {}, stepLogMaxLines: 100 },
    }),
    workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! },
  });
  running = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await native?.close();
  await h?.close();
});

const runbook = RunbookDefinition.parse({ name: 'eager', steps: [{ id: 'pause', type: 'wait', duration: '1ms' }] });
const alice = { sub: 'alice', roles: ['operator' as const] };

test('a run started on the worker connection starts eagerly, runs, and a retried key returns the same run', async () => {
  const runs = new RunClient({ client: h.client, taskQueue, eagerStartClient: new Client({ connection: native }) });
  const key = randomUUID();
  const started = await runs.startRun({ runbook, params: {}, requestedBy: alice, idempotencyKey: key });
  expect(started).toMatchObject({ created: true, status: 'running', eagerlyStarted: true });
  const state = (await h.client.workflow.getHandle(started.runId).result()) as RunState;
  expect(state.status).toBe('succeeded');
  expect((await h.eventsOf(started.runId)).map((e) => e.type)).toEqual(['run.started', 'step.started', 'step.succeeded', 'run.completed']);

  const again = await runs.startRun({ runbook, params: {}, requestedBy: alice, idempotencyKey: key });
  expect(again).toEqual({ runId: started.runId, created: false, status: 'succeeded' });
});

test('with no worker of that task queue on the connection, the start is an ordinary one and the run still runs', async () => {
  const lonely = await NativeConnection.connect({ address: process.env.TEST_TEMPORAL_ADDRESS! });
  try {
    const runs = new RunClient({ client: h.client, taskQueue, eagerStartClient: new Client({ connection: lonely }) });
    const started = await runs.startRun({ runbook, params: {}, requestedBy: alice });
    expect(started).toMatchObject({ created: true, eagerlyStarted: false });
    expect(((await h.client.workflow.getHandle(started.runId).result()) as RunState).status).toBe('succeeded');
  } finally {
    await lonely.close();
  }
});
