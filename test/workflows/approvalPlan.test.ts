import { WorkflowFailedError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { approvalDigest, approvalPlan } from '../../domain/approvalDigest';
import { RunbookDefinition, type RunbookDocument } from '../../domain/runbook';
import type { ApprovalState, RunState } from '../../domain/runState';
import { startFakeTarget, type FakeTarget } from '../support/fakeDeployTarget';
import { Worker } from '@temporalio/worker';
import { createWorkflowHarness, resultOf, type WorkflowHarness } from '../support/workflowHarness';

/**
 * Approval gates of issue #15 on the real Temporal dev server: decisions bound to the plan digest,
 * gate inputs, escalation, reminders and onTimeout. Short intervals instead of time-skipping.
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

/** Every finished run's history replays on the current code (updates, signals and timers in the same order). */
async function replays(handle: WorkflowHandle): Promise<void> {
  await Worker.runReplayHistory({ workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! } }, await handle.fetchHistory(), handle.workflowId);
}

const gateOf = async (handle: WorkflowHandle): Promise<ApprovalState> => (await handle.query<RunState>('state')).approvals[0]!;
const decide = (handle: WorkflowHandle, decision: Record<string, unknown>) =>
  handle.executeUpdate<ApprovalState, [Record<string, unknown>]>('decideApproval', {
    args: [{ gateId: 'gate', decision: 'approve', approverRoles: ['approver'], via: 'api', ...decision }],
  });
async function refusal(p: Promise<unknown>): Promise<{ type?: string; message: string; details?: unknown[] }> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  return (err as WorkflowUpdateFailedError).cause as { type?: string; message: string; details?: unknown[] };
}

const deploy = (url: string): RunbookDocument => ({
  name: 'bound-deploy',
  params: { version: { type: 'string', required: true } },
  steps: [
    { id: 'prep', type: 'http', request: { method: 'POST', url: `${url}/prep` } },
    {
      id: 'gate',
      type: 'approval',
      needs: ['prep'],
      inputs: { percent: { type: 'integer', required: true, minimum: 1, maximum: 100 }, ticket: { type: 'string', pattern: '^CHG-\\d+$', required: true } },
    },
    {
      id: 'ship',
      type: 'http',
      needs: ['gate'],
      request: {
        method: 'POST',
        url: `${url}/ship`,
        json: { version: '${{ params.version }}', percent: '${{ steps.gate.output.percent }}', ticket: '${{ steps.gate.output.ticket }}' },
      },
    },
    { id: 'verify', type: 'http', needs: ['ship'], request: { method: 'GET', url: `${url}/verify/\${{ params.version }}` } },
  ],
});

test('a gate binds its plan to a digest: the same plan hashes the same, a stale digest is refused, inputs flow to later steps', async () => {
  const handle = await h.start(deploy(target.url), { version: 'v7' });
  const requested = await h.waitForEvent(handle.workflowId, (e) => e.type === 'approval.requested');
  const gate = await gateOf(handle);
  expect(gate.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(gate.guards).toEqual(['ship', 'verify']);
  expect(gate.inputSpecs).toMatchObject({ percent: { type: 'integer' } });
  expect(requested.data).toMatchObject({ digest: gate.digest, onTimeout: 'reject' });
  const plan = requested.data.plan as ReturnType<typeof approvalPlan>;
  // What the approver sees: params resolved, the guarded steps rendered (or raw where outputs are still unknown).
  expect(plan).toMatchObject({ runbook: 'bound-deploy', params: { version: 'v7' }, gateId: 'gate' });
  expect(plan.steps.map((s) => s.id)).toEqual(['ship', 'verify']);
  expect(plan.steps[1]).toMatchObject({ action: { request: { url: `${target.url}/verify/v7` } } });
  expect(plan.steps[0]!.unrendered).toBe(true);
  // The digest is a pure function of the plan: recomputed outside the workflow, it matches.
  expect(approvalDigest(plan)).toBe(gate.digest);

  // The same runbook with another version param is another plan: its digest is refused here.
  const other = RunbookDefinition.parse(deploy(target.url));
  const otherPlan = approvalPlan(other, { version: 'v8' }, 'gate', { params: { version: 'v8' }, steps: {}, env: {}, backends: {} });
  const stale = approvalDigest(otherPlan);
  expect(stale).not.toBe(gate.digest);
  const mismatch = await refusal(decide(handle, { approver: 'bob', digest: stale, inputs: { percent: 10, ticket: 'CHG-1' } }));
  expect(mismatch.type).toBe('ApprovalDigestMismatch');
  expect(mismatch.details?.[0]).toEqual({ currentDigest: gate.digest });

  // Inputs are checked like params.
  const missing = await refusal(decide(handle, { approver: 'bob', digest: gate.digest, inputs: { percent: 500 } }));
  expect(missing.type).toBe('ApprovalInputsInvalid');
  expect(missing.message).toMatch(/inputs\.percent/);
  expect(missing.message).toMatch(/inputs\.ticket/);

  const approved = await decide(handle, { approver: 'bob', digest: gate.digest, inputs: { percent: 25, ticket: 'CHG-42' } });
  expect(approved).toMatchObject({ status: 'approved', inputs: { percent: 25, ticket: 'CHG-42' } });
  expect(approved.votes[0]).toMatchObject({ approver: 'bob', digest: gate.digest, bound: true });
  const state = await resultOf(handle);
  expect(state.status).toBe('succeeded');
  expect(target.calls('/ship')[0]!.body).toEqual({ version: 'v7', percent: 25, ticket: 'CHG-42' });
  const decided = (await h.eventsOf(handle.workflowId)).find((e) => e.type === 'approval.decided')!;
  expect(decided.data).toMatchObject({ digest: gate.digest, bound: true, inputs: { percent: 25, ticket: 'CHG-42' } });
  await replays(handle);
});

test('the Temporal UI details carry copy-pastable signal payloads: a code block with straight quotes, one line per gate', async () => {
  const doc: RunbookDocument = {
    name: 'two-gates',
    steps: [
      { id: 'legal', type: 'approval' },
      { id: 'ops', type: 'approval' },
      { id: 'after', type: 'wait', needs: ['legal', 'ops'], duration: '10ms' },
    ],
  };
  const handle = await h.start(doc);
  await h.waitForEvent(handle.workflowId, (e) => e.type === 'approval.requested' && e.data.gateId === 'ops');
  const details = (await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata')).currentDetails ?? '';
  const block = /```json\n([\s\S]*?)\n```/.exec(details);
  expect(block).not.toBeNull();
  const lines = block![1]!.split('\n');
  expect(lines).toHaveLength(2);
  expect(details).not.toMatch(/[\u201c\u201d]/);
  // What an approver copies is JSON the signal accepts as it is (with their name filled in).
  for (const line of lines) await handle.signal('approval', { ...(JSON.parse(line) as Record<string, unknown>), approver: 'carol' });
  const state = await resultOf(handle);
  // The payload carries the gate's digest, so a vote sent from the UI is bound to the plan shown.
  // Both gates open in one batch: their order in the state is the order they opened.
  expect(state.approvals.map((a) => [a.gateId, a.status, a.votes[0]?.bound]).sort()).toEqual([
    ['legal', 'approved', true],
    ['ops', 'approved', true],
  ]);
  await replays(handle);
});

test('a Temporal UI signal without a digest is recorded as unbound; with a wrong one it is refused', async () => {
  const doc: RunbookDocument = {
    name: 'unbound',
    steps: [
      { id: 'gate', type: 'approval' },
      { id: 'after', type: 'wait', needs: ['gate'], duration: '10ms' },
    ],
  };
  const handle = await h.start(doc);
  await h.waitForEvent(handle.workflowId, (e) => e.type === 'approval.requested');
  await handle.signal('approval', { gateId: 'gate', decision: 'approve', approver: 'carol', digest: `sha256:${'0'.repeat(64)}` });
  await h.waitForEvent(handle.workflowId, (e) => e.type === 'approval.refused');
  expect((await gateOf(handle)).status).toBe('pending');
  await handle.signal('approval', { gateId: 'gate', decision: 'approve', approver: 'carol' });
  const state = await resultOf(handle);
  expect(state.approvals[0]!.votes[0]).toMatchObject({ approver: 'carol', via: 'temporal-signal', claimed: true, bound: false });
  const refused = (await h.eventsOf(handle.workflowId)).find((e) => e.type === 'approval.refused')!;
  expect(refused.data).toMatchObject({ refusal: 'ApprovalDigestMismatch' });
  await replays(handle);
});

test('escalation widens who may approve only after its interval; reminders are counted', async () => {
  const doc: RunbookDocument = {
    name: 'escalating',
    steps: [
      {
        id: 'gate',
        type: 'approval',
        approvers: { roles: ['admin'] },
        remind: '700ms',
        escalate: [
          { after: '2s', to: { roles: ['approver'] } },
          { after: '2500ms', to: { subjects: ['sam'] } },
        ],
        timeout: '30s',
      },
    ],
  };
  const handle = await h.start(doc);
  await h.waitForEvent(handle.workflowId, (e) => e.type === 'approval.requested');
  const early = await refusal(decide(handle, { approver: 'adam', approverRoles: ['approver'] }));
  expect(early.type).toBe('ApprovalForbidden');
  expect(early.message).toMatch(/needs one of the roles admin$/);

  const escalated = await h.waitForEvent(handle.workflowId, (e) => e.type === 'approval.escalated' && e.data.level === 1);
  expect(escalated.data).toMatchObject({ gateId: 'gate', roles: ['approver'], notify: true, after: '2s' });
  await h.waitForEvent(handle.workflowId, (e) => e.type === 'approval.escalated' && e.data.level === 2);
  const gate = await gateOf(handle);
  expect(gate).toMatchObject({ escalatedRoles: ['approver'], escalatedSubjects: ['sam'], escalations: 2 });
  const reminders = (await h.eventsOf(handle.workflowId)).filter((e) => e.type === 'approval.reminder');
  expect(reminders.length).toBeGreaterThanOrEqual(3);
  expect(reminders.map((e) => e.data.reminder)).toEqual(reminders.map((_, i) => i + 1));
  expect(gate.reminders).toBeGreaterThanOrEqual(reminders.length);

  // A named subject may decide whatever roles they hold.
  const approved = await decide(handle, { approver: 'sam', approverRoles: ['viewer'] });
  expect(approved.status).toBe('approved');
  expect((await resultOf(handle)).status).toBe('succeeded');
  await replays(handle);
});

const timing = (onTimeout: 'reject' | 'approve' | 'fail', continueOnError = false): RunbookDocument => ({
  name: `timeout-${onTimeout}`,
  steps: [
    { id: 'gate', type: 'approval', timeout: '800ms', onTimeout, remind: '300ms', continueOnError },
    { id: 'after', type: 'http', needs: ['gate'], request: { method: 'POST', url: `${target.url}/after-${onTimeout}-${String(continueOnError)}` } },
  ],
});

test('onTimeout: approve lets the run go on; reject and fail end it, and fail even under continueOnError', async () => {
  const approve = await resultOf(await h.start(timing('approve')));
  expect(approve.status).toBe('succeeded');
  expect(approve.approvals[0]).toMatchObject({ status: 'approved', comment: 'approved on timeout (onTimeout: approve)' });
  expect(target.calls('/after-approve-false')).toHaveLength(1);

  const reject = await h.start(timing('reject', true));
  const rejected = await resultOf(reject);
  // reject is an ordinary refusal: continueOnError lets the run go on.
  expect(rejected.approvals[0]!.status).toBe('expired');
  expect(rejected.steps.find((s) => s.id === 'gate')!.status).toBe('failed');
  expect(target.calls('/after-reject-true')).toHaveLength(1);

  const fail = await h.start(timing('fail', true));
  await expect(fail.result()).rejects.toBeInstanceOf(WorkflowFailedError);
  const failed = await fail.query<RunState>('state');
  expect(failed.status).toBe('failed');
  expect(failed.error).toMatch(/timed out \(onTimeout: fail\)/);
  expect(target.calls('/after-fail-true')).toHaveLength(0);
  const decided = (await h.eventsOf(fail.workflowId)).find((e) => e.type === 'approval.decided')!;
  expect(decided.data).toMatchObject({ status: 'expired', timedOut: true, onTimeout: 'fail' });
  await replays(reject);
  await replays(fail);
});
