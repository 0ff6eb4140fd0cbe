import { readFileSync } from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import type { WorkflowHandle } from '@temporalio/client';
import type { StoredEvent } from '../../domain/events';
import type { ApprovalState, RunState } from '../../domain/runState';
import { startFakeTarget, type FakeTarget } from '../support/fakeDeployTarget';
import { createWorkflowHarness, resultOf, type WorkflowHarness } from '../support/workflowHarness';

/**
 * The `approval` signal on the real Temporal dev server: whoever can reach Temporal can send it
 * under any name, so it is recorded as what it is (temporal-signal, approver claimed), and a
 * refusal (which a signal cannot return) is visible as an `approval.refused` event and in the
 * workflow's current details, without touching the gate.
 */
let h: WorkflowHarness;
let target: FakeTarget;

beforeAll(async () => {
  target = await startFakeTarget();
  h = await createWorkflowHarness({ config: { runbookEnv: { DEPLOY_API_URL: '' } } });
});
afterAll(async () => {
  await h?.close();
  await target?.close();
});

const gated = () => ({
  name: 'signal-gated',
  steps: [
    { id: 'prep', type: 'http' as const, request: { method: 'POST' as const, url: `${target.url}/prep` } },
    { id: 'approve', type: 'approval' as const, needs: ['prep'], fourEyes: true, approvers: { roles: ['approver' as const], count: 1 } },
    { id: 'ship', type: 'http' as const, needs: ['approve'], request: { method: 'POST' as const, url: `${target.url}/ship` } },
  ],
});

async function waitingRun(): Promise<WorkflowHandle> {
  const handle = await h.start(gated(), {}, { sub: 'alice', roles: ['operator'] });
  await h.waitForEvent(handle.workflowId, (e) => e.type === 'approval.requested');
  return handle;
}

const gateOf = async (handle: WorkflowHandle): Promise<ApprovalState> => (await handle.query<RunState>('state')).approvals[0]!;
const refusals = async (handle: WorkflowHandle): Promise<StoredEvent[]> => (await h.eventsOf(handle.workflowId)).filter((e) => e.type === 'approval.refused');

/** What the Temporal UI shows as the workflow's "current details" (the SDK's built-in metadata query). */
async function currentDetails(handle: WorkflowHandle): Promise<string> {
  const meta = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
  return meta.currentDetails ?? '';
}

async function waitForRefusals(handle: WorkflowHandle, count: number): Promise<StoredEvent[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const found = await refusals(handle);
    if (found.length >= count || Date.now() > deadline) return found;
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('a signal claiming via "api" is recorded as temporal-signal with the approver marked as claimed', async () => {
  const handle = await waitingRun();
  await handle.signal('approval', { gateId: 'approve', decision: 'approve', approver: 'mallory', comment: 'trust me', via: 'api' });
  const state = await resultOf(handle);
  expect(state.status).toBe('succeeded');
  expect(state.approvals[0]).toMatchObject({ status: 'approved', decidedBy: 'mallory', via: 'temporal-signal', approverClaimed: true, comment: 'trust me' });
  expect(state.approvals[0]!.votes).toEqual([expect.objectContaining({ approver: 'mallory', via: 'temporal-signal', claimed: true })]);
  const decided = (await h.eventsOf(handle.workflowId)).find((e) => e.type === 'approval.decided')!;
  expect(decided.data).toMatchObject({ status: 'approved', decidedBy: 'mallory', via: 'temporal-signal', approverClaimed: true });
  expect(decided.data.votes).toEqual([expect.objectContaining({ via: 'temporal-signal', claimed: true })]);
  expect(await refusals(handle)).toHaveLength(0);
});

test('a four-eyes-refused signal emits approval.refused, shows the reason in the current details and leaves the gate pending; a valid decision still works', async () => {
  const handle = await waitingRun();
  await handle.signal('approval', { gateId: 'approve', decision: 'approve', approver: 'alice' });
  const [refused] = await waitForRefusals(handle, 1);
  expect(refused?.data).toMatchObject({
    gateId: 'approve',
    claimedApprover: 'alice',
    via: 'temporal-signal',
    refusal: 'ApprovalForbidden',
    reason: expect.stringMatching(/^four-eyes: alice requested this run/),
  });
  const gate = await gateOf(handle);
  expect(gate).toMatchObject({ status: 'pending', votes: [] });
  expect(gate.decidedBy).toBeUndefined();
  expect((await handle.query<RunState>('state')).status).toBe('waiting_approval');
  const details = await currentDetails(handle);
  expect(details).toContain('Refused `approval` signal #1 (gate `approve`, claimed approver `alice`)');
  expect(details).toContain('four-eyes');

  // A second refusal gets its own event (distinct dedupe key), in arrival order.
  await handle.signal('approval', { gateId: 'nope', decision: 'approve', approver: 'carol' });
  const both = await waitForRefusals(handle, 2);
  expect(both.map((e) => [e.data.gateId, e.data.refusal])).toEqual([
    ['approve', 'ApprovalForbidden'],
    ['nope', 'ApprovalGateNotFound'],
  ]);

  await handle.executeUpdate('decideApproval', { args: [{ gateId: 'approve', decision: 'approve', approver: 'bob', approverRoles: ['approver'], via: 'api' }] });
  const state = await resultOf(handle);
  expect(state.status).toBe('succeeded');
  expect(state.approvals[0]).toMatchObject({ status: 'approved', decidedBy: 'bob', via: 'api' });
  expect(state.approvals[0]!.approverClaimed).toBeUndefined();
  expect(state.approvals[0]!.votes).toEqual([expect.not.objectContaining({ claimed: true })]);
  // Emitting from the signal handler replays deterministically.
  await Worker.runReplayHistory({ workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! } }, await handle.fetchHistory(), handle.workflowId);
});

test('malformed signals (wrong types, NUL in the comment, extra fields) are refused with a reason naming the field', async () => {
  const handle = await waitingRun();
  const bad: [unknown, RegExp][] = [
    [{ gateId: 'approve', decision: 'yes', approver: 42 }, /decision: .*; approver: /],
    [{ gateId: 'approve', decision: 'approve', approver: 'carol', comment: 'ok\u0000then' }, /comment: comment must not contain control characters/],
    [{ gateId: 'approve', decision: 'approve', approver: 'carol', roles: ['admin'] }, /\(payload\): .*roles/],
    ['approve', /\(payload\): /],
  ];
  for (const [payload] of bad) await handle.signal('approval', payload as never);
  const refused = await waitForRefusals(handle, bad.length);
  expect(refused).toHaveLength(bad.length);
  refused.forEach((e, i) => {
    expect(e.data).toMatchObject({ via: 'temporal-signal', refusal: 'ApprovalSignalInvalid' });
    expect(e.data.reason).toMatch(/^malformed signal: /);
    expect(e.data.reason).toMatch(bad[i]![1]);
  });
  expect(refused[0]!.data).toMatchObject({ gateId: 'approve', claimedApprover: null });
  expect(refused[1]!.data).toMatchObject({ claimedApprover: 'carol' });
  expect(JSON.stringify(refused.map((e) => e.data))).not.toContain('\\u0000');
  expect(await gateOf(handle)).toMatchObject({ status: 'pending', votes: [] });
  expect(await currentDetails(handle)).toContain('Refused `approval` signal #4');

  await handle.signal('approval', { gateId: 'approve', decision: 'reject', approver: 'carol', comment: 'line one\nline two' });
  await expect(handle.result()).rejects.toThrow();
  const state = await handle.query<RunState>('state');
  expect(state.approvals[0]).toMatchObject({ status: 'rejected', decidedBy: 'carol', via: 'temporal-signal', approverClaimed: true, comment: 'line one\nline two' });
  expect(await currentDetails(handle)).not.toContain('Refused');
});

test('a history recorded before the checked signal path replays: its refused signal emitted nothing, its extra-field signal counted', async () => {
  // Recorded with the previous workflow code (requester's signal only logged; {"roles": [...]} ignored
  // and carol's vote counted). Without the patch the new code would refuse that vote and schedule an
  // approval.refused local activity: a nondeterminism error here.
  // Binary protobuf (History.encode): this SDK's historyFromJSON fails on CLI/UI JSON exports.
  const history = temporal.api.history.v1.History.decode(readFileSync(path.join(__dirname, 'fixtures/approval-signal-legacy.history.pb')));
  expect(history.events.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'approval')).toHaveLength(2);
  await expect(Worker.runReplayHistory({ workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! } }, history, 'run-legacy-approval-signal')).resolves.toBeUndefined();
});
