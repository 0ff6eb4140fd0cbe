import { RunbookDefinition } from '../../domain/runbook';
import type { RunState } from '../../domain/runState';
import { startFakeTarget, type FakeTarget } from '../support/fakeDeployTarget';
import { createWorkflowHarness, resultOf, type WorkflowHarness } from '../support/workflowHarness';

/** `runbook` steps start child runs of catalogue runbooks; `continueOnError` lets a run go on. */
let h: WorkflowHarness;
let target: FakeTarget;

beforeAll(async () => {
  target = await startFakeTarget();
  const child = RunbookDefinition.parse({
    name: 'ping-service',
    params: { service: { type: 'string', required: true } },
    steps: [{ id: 'ping', type: 'http', request: { method: 'POST', url: `${target.url}/ping`, json: { service: '${{ params.service }}' } } }],
  });
  h = await createWorkflowHarness({ catalogue: { get: (name) => (name === child.name ? child : undefined) } });
});
afterAll(async () => {
  await h?.close();
  await target?.close();
});

test('a runbook step runs the catalogue runbook as a child run with its own event stream', async () => {
  const handle = await h.start({
    name: 'parent',
    steps: [
      { id: 'first', type: 'runbook', runbook: 'ping-service', params: { service: 'auth' } },
      { id: 'each', type: 'foreach', needs: ['first'], items: ['cart', 'search'], step: { type: 'runbook', runbook: 'ping-service', params: { service: '${{ item }}' } } },
    ],
  });
  const state = await resultOf(handle);
  expect(state.status).toBe('succeeded');
  const childId = `${handle.workflowId}--first`;
  expect(state.steps[0]!.output).toMatchObject({ runId: childId, status: 'succeeded' });
  expect(
    target
      .calls('/ping')
      .map((c) => (c.body as { service: string }).service)
      .sort(),
  ).toEqual(['auth', 'cart', 'search']);
  const childState = await h.client.workflow.getHandle(childId).query<RunState>('state');
  expect(childState).toMatchObject({ runbook: 'ping-service', parentRunId: handle.workflowId, requestedBy: 'alice' });
  const childEvents = await h.eventsOf(childId);
  expect(childEvents[0]!.type).toBe('run.started');
  expect(childEvents.at(-1)!.type).toBe('run.completed');
});

test('invalid child params and unknown child runbooks fail the step with a clear error', async () => {
  const handle = await h.start({
    name: 'bad-children',
    steps: [
      { id: 'missing', type: 'runbook', runbook: 'ping-service', params: {}, continueOnError: true },
      { id: 'unknown', type: 'runbook', runbook: 'no-such-runbook', needs: ['missing'] },
    ],
  });
  await expect(handle.result()).rejects.toThrow();
  const state = await handle.query<RunState>('state');
  expect(state.steps[0]).toMatchObject({ status: 'failed' });
  expect(state.steps[0]!.error).toMatch(/invalid params for runbook ping-service: params.service/);
  expect(state.steps[1]!.error).toMatch(/"no-such-runbook" is not in the catalogue/);
});

test('continueOnError: a failed step is recorded and its dependents still run', async () => {
  target.failAlways('/flop', 400);
  const handle = await h.start({
    name: 'tolerant',
    steps: [
      { id: 'optional', type: 'http', request: { method: 'POST', url: `${target.url}/flop` }, continueOnError: true },
      { id: 'after', type: 'http', needs: ['optional'], request: { method: 'POST', url: `${target.url}/after-flop`, json: { prev: '${{ steps.optional.status }}' } } },
    ],
  });
  const state = await resultOf(handle);
  expect(state.status).toBe('succeeded');
  expect(state.steps.map((s) => s.status)).toEqual(['failed', 'succeeded']);
  expect(target.calls('/after-flop')[0]!.body).toEqual({ prev: 'failed' });
});
