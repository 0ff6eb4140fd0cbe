import { randomUUID } from 'node:crypto';
import { RunbookDefinition } from '../../domain/runbook';
import type { RunState } from '../../domain/runState';
import { RunClient } from '../../temporal/runClient';
import { createWorkflowHarness, type WorkflowHarness } from '../support/workflowHarness';

/**
 * RunClient's `events` (domain/runStarted.ts): run.started is stored once Temporal has accepted the
 * start, before any worker has run the workflow, and the workflow's own append of it is a no-op.
 */
let h: WorkflowHarness;
beforeAll(async () => {
  h = await createWorkflowHarness();
});
afterAll(async () => {
  await h?.close();
});

const runbook = RunbookDefinition.parse({ name: 'early-started', steps: [{ id: 'pause', type: 'wait', duration: '1ms' }] });
const alice = { sub: 'alice', roles: ['operator' as const] };

test('run.started is stored with no worker on the task queue, and stays once when the workflow runs', async () => {
  // A task queue no worker polls: only the client can have written the event.
  const idle = new RunClient({ client: h.client, taskQueue: `nobody-${randomUUID()}`, events: h.events });
  const parked = await idle.startRun({ runbook, params: { service: 'auth' }, requestedBy: alice });
  await h.waitForEvent(parked.runId, (e) => e.type === 'run.started', 5000);
  const early = await h.eventsOf(parked.runId);
  expect(early).toEqual([
    expect.objectContaining({ seq: 1, type: 'run.started', data: { runId: parked.runId, runbook: 'early-started', params: { service: 'auth' }, requestedBy: 'alice' } }),
  ]);
  await h.client.workflow.getHandle(parked.runId).terminate('test done');

  // On the harness's queue a worker runs it: the workflow's run.started (same key) is not stored again.
  const runs = new RunClient({ client: h.client, taskQueue: h.taskQueue, events: h.events });
  const started = await runs.startRun({ runbook, params: { service: 'auth' }, requestedBy: alice });
  const state = (await h.client.workflow.getHandle(started.runId).result()) as RunState;
  expect(state.status).toBe('succeeded');
  const events = await h.eventsOf(started.runId);
  expect(events.map((e) => e.type)).toEqual(['run.started', 'step.started', 'step.succeeded', 'run.completed']);
  expect(events[0]!.data).toEqual({ runId: started.runId, runbook: 'early-started', params: { service: 'auth' }, requestedBy: 'alice' });
});

test('a failing event log does not fail the start: the error is reported and the workflow stores the event', async () => {
  const errors: string[] = [];
  const runs = new RunClient({
    client: h.client,
    taskQueue: h.taskQueue,
    events: { append: () => Promise.reject(new Error('database down')) },
    onEventError: (err, runId) => errors.push(`${runId}: ${(err as Error).message}`),
  });
  const started = await runs.startRun({ runbook, params: {}, requestedBy: alice });
  expect(started.created).toBe(true);
  expect(((await h.client.workflow.getHandle(started.runId).result()) as RunState).status).toBe('succeeded');
  expect(errors).toEqual([`${started.runId}: database down`]);
  expect((await h.eventsOf(started.runId))[0]).toMatchObject({ seq: 1, type: 'run.started' });
});

test('params too big for one event are left to the workflow, which fails the run with a truncated run.started', async () => {
  const appended: string[] = [];
  const runs = new RunClient({
    client: h.client,
    taskQueue: h.taskQueue,
    events: {
      append: (streamId, events) => {
        appended.push(...events.map((e) => e.type));
        return h.events.append(streamId, events);
      },
    },
  });
  const started = await runs.startRun({ runbook, params: { blob: 'x'.repeat(300 * 1024) }, requestedBy: alice });
  await expect(h.client.workflow.getHandle(started.runId).result()).rejects.toThrow();
  expect(appended).toEqual([]);
  const events = await h.eventsOf(started.runId);
  expect(events.map((e) => e.type)).toEqual(['run.started', 'run.failed']);
  expect(events[0]!.data).toMatchObject({ params: { truncated: true } });
});
