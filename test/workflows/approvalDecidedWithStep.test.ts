import type { WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import type { RunbookDocument } from '../../domain/runbook';
import type { RunState } from '../../domain/runState';
import { createWorkflowHarness, localActivityMarkers, resultOf, type WorkflowHarness } from '../support/workflowHarness';
import { bundleWorkflowsAt, type WorkflowsAtCommit } from '../support/workflowsAtCommit';

/**
 * An approved gate's approval.decided is stored together with its step's step.succeeded, in one
 * local activity (`patched('approval-decided-with-step')`, workflows/approvalGate.ts): one round
 * trip less between the decision and the next step. The events, their order and keys are as
 * before. Runs recorded by the code before the patch (commit d54a303) replay under today's code.
 */
const BEFORE_PATCH = 'd54a3039689d65dafc7eca212e840f0a9ab46840';
const currentBundle = process.env.TEST_WORKFLOW_BUNDLE!;
let h: WorkflowHarness;
let old: WorkflowHarness;
let oldCode: WorkflowsAtCommit;

beforeAll(async () => {
  h = await createWorkflowHarness();
  oldCode = await bundleWorkflowsAt(BEFORE_PATCH);
  old = await createWorkflowHarness({ workflowBundle: { codePath: oldCode.codePath } });
}, 120_000);
afterAll(async () => {
  await old?.close();
  await h?.close();
  oldCode?.remove();
});

const GATED: RunbookDocument = {
  name: 'gated',
  steps: [
    { id: 'gate', type: 'approval', approvers: { roles: ['approver'], count: 1 } },
    { id: 'after', needs: ['gate'], type: 'wait', duration: '1ms' },
  ],
};

/** Runs GATED to the end, the gate approved by update or by signal. */
async function approvedRun(harness: WorkflowHarness, handle: WorkflowHandle, via: 'update' | 'signal'): Promise<RunState> {
  await harness.waitForEvent(handle.workflowId, (e) => e.type === 'approval.requested');
  if (via === 'update') {
    await handle.executeUpdate('decideApproval', { args: [{ gateId: 'gate', decision: 'approve', approver: 'bob', approverRoles: ['approver'], via: 'api' }] });
  } else {
    await handle.signal('approval', { gateId: 'gate', decision: 'approve', approver: 'bob' });
  }
  return resultOf(handle);
}

test.each(['update', 'signal'] as const)('approved by %s: the same events in one append less, and the history replays', async (via) => {
  const current = await h.start(GATED);
  const oldRun = await old.start(GATED);
  expect((await approvedRun(h, current, via)).status).toBe('succeeded');
  expect((await approvedRun(old, oldRun, via)).status).toBe('succeeded');

  const types = async (harness: WorkflowHarness, handle: WorkflowHandle) =>
    (await harness.eventsOf(handle.workflowId)).map((e) => `${e.type}${typeof e.data.stepId === 'string' ? `:${e.data.stepId}` : ''}`);
  const expected = [
    'run.started',
    'step.started:gate',
    'approval.requested',
    'approval.decided',
    'step.succeeded:gate',
    'step.started:after',
    'step.succeeded:after',
    'run.completed',
  ];
  expect(await types(h, current)).toEqual(expected);
  expect(await types(old, oldRun)).toEqual(expected);
  // approval.decided and the gate's step.succeeded shared one local activity, and since
  // approval-decided-with-next-step the next step's step.started (a wait: the workflow emits it)
  // joins them (test/workflows/approvalDecidedWithNextStep.test.ts); run.started and the run's
  // context share one too (test/workflows/runStartedWithContext.test.ts).
  expect(await localActivityMarkers(current)).toBe((await localActivityMarkers(oldRun)) - 3);

  for (const handle of [current, oldRun]) {
    await expect(Worker.runReplayHistory({ workflowBundle: { codePath: currentBundle } }, await handle.fetchHistory(), handle.workflowId)).resolves.toBeUndefined();
  }
});

test('a rejected gate still announces its decision on its own before the run fails', async () => {
  const handle = await h.start(GATED);
  await h.waitForEvent(handle.workflowId, (e) => e.type === 'approval.requested');
  const gate = await handle.executeUpdate<{ status: string }, [Record<string, unknown>]>('decideApproval', {
    args: [{ gateId: 'gate', decision: 'reject', approver: 'bob', approverRoles: ['approver'], via: 'api' }],
  });
  expect(gate.status).toBe('rejected');
  await expect(handle.result()).rejects.toThrow();
  const types = (await h.eventsOf(handle.workflowId)).map((e) => e.type);
  expect(types.slice(types.indexOf('approval.decided'))).toEqual(['approval.decided', 'step.failed', 'run.failed']);
});
