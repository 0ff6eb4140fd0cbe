import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import type { StoredEvent } from '../../domain/events';
import type { PauseRequest } from '../../domain/pause';
import { RunbookDefinition, type RunbookDocument } from '../../domain/runbook';
import type { ApprovalState, RunState } from '../../domain/runState';
import { startFakeTarget, type FakeTarget } from '../support/fakeDeployTarget';
import { createWorkflowHarness, resultOf, type WorkflowHarness } from '../support/workflowHarness';

/**
 * Resume with parameters (issue #15): the run's params change after a gate opened, so what the
 * approver saw is no longer what will run. Open gates re-plan, votes on the old plan are dropped, a
 * decision naming the old digest is refused; a restartable child run started again re-plans too.
 * Real Temporal dev server, real worker, real Postgres event log.
 */
let h: WorkflowHarness;
let target: FakeTarget;

const gatedDeploy = (url: string): RunbookDocument => ({
  name: 'gated-deploy',
  params: { version: { type: 'string', required: true, pattern: '^v\\d+$' }, region: { type: 'string', default: 'eu' } },
  steps: [
    { id: 'gate', type: 'approval', approvers: { roles: ['approver'], count: 2 } },
    { id: 'ship', type: 'http', needs: ['gate'], request: { method: 'POST', url: `${url}/ship`, json: { version: '${{ params.version }}', region: '${{ params.region }}' } } },
  ],
});

beforeAll(async () => {
  target = await startFakeTarget();
  const child = RunbookDefinition.parse(gatedDeploy(target.url));
  h = await createWorkflowHarness({ config: { runbookEnv: { DEPLOY_API_URL: '' } }, catalogue: { get: (name) => (name === child.name ? child : undefined) } });
});
afterAll(async () => {
  await h?.close();
  await target?.close();
});

async function replays(handle: WorkflowHandle): Promise<void> {
  await Worker.runReplayHistory({ workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! } }, await handle.fetchHistory(), handle.workflowId);
}

const operator = (extra: Partial<PauseRequest> = {}): PauseRequest => ({ by: 'olga', roles: ['operator'], via: 'api', reason: 'wrong version', ...extra });
const gateOf = async (handle: WorkflowHandle): Promise<ApprovalState> => (await handle.query<RunState>('state')).approvals.find((g) => g.gateId === 'gate')!;
const decide = (handle: WorkflowHandle, approver: string, digest: string | undefined) =>
  handle.executeUpdate<ApprovalState, [Record<string, unknown>]>('decideApproval', {
    args: [{ gateId: 'gate', decision: 'approve', approver, approverRoles: ['approver'], via: 'api', ...(digest ? { digest } : {}) }],
  });
const ofType = (events: StoredEvent[], type: string) => events.filter((e) => e.type === type);

async function refusal(p: Promise<unknown>): Promise<{ type?: string; message: string; details?: unknown[] }> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  return (err as WorkflowUpdateFailedError).cause as { type?: string; message: string; details?: unknown[] };
}

async function eventually<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('a resume with other params re-plans the open gate: votes on the old plan are dropped and its digest is refused', async () => {
  const handle = await h.start(gatedDeploy(target.url), { version: 'v1', region: 'eu' });
  await h.waitForEvent(handle.workflowId, (e) => e.type === 'approval.requested');
  const before = await gateOf(handle);
  const oldDigest = before.digest!;
  // One of the two approvals arrives on the v1 plan.
  expect((await decide(handle, 'bob', oldDigest)).votes).toHaveLength(1);

  await handle.executeUpdate('pauseRun', { args: [operator()] });
  // Params are checked against the runbook's specs; a refused resume leaves the run paused and unchanged.
  const bad = await refusal(handle.executeUpdate('resumeRun', { args: [operator({ params: { version: 'latest', colour: 'red' } })] }));
  expect(bad.type).toBe('RunResumeParamsInvalid');
  expect(bad.message).toMatch(/params\.version/);
  expect(bad.message).toMatch(/params\.colour/);
  expect((await handle.query<RunState>('state')).status).toBe('paused');
  expect((await gateOf(handle)).votes).toHaveLength(1);

  const resumed = await handle.executeUpdate<RunState, [PauseRequest]>('resumeRun', { args: [operator({ params: { version: 'v2' } })] });
  expect(resumed.params).toEqual({ version: 'v2', region: 'eu' });
  const gate = resumed.approvals[0]!;
  expect(gate.digest).toMatch(/^sha256:/);
  expect(gate.digest).not.toBe(oldDigest);
  expect(gate).toMatchObject({ status: 'pending', votes: [], replans: 1 });

  const replanned = await h.waitForEvent(handle.workflowId, (e) => e.type === 'approval.replanned');
  expect(replanned.data).toMatchObject({
    gateId: 'gate',
    by: 'olga',
    previousDigest: oldDigest,
    digest: gate.digest,
    invalidatedVotes: [{ approver: 'bob', decision: 'approve' }],
  });
  expect((replanned.data.plan as { params: unknown }).params).toEqual({ version: 'v2', region: 'eu' });
  const resumedEvent = ofType(await h.eventsOf(handle.workflowId), 'run.resumed')[0]!;
  expect(resumedEvent.data).toMatchObject({ by: 'olga', paramsChanged: ['version'] });
  expect(resumedEvent.seq).toBeLessThan(replanned.seq);

  // A decision still made on the v1 plan is refused with the plan now shown.
  const stale = await refusal(decide(handle, 'carol', oldDigest));
  expect(stale.type).toBe('ApprovalDigestMismatch');
  expect(stale.details?.[0]).toEqual({ currentDigest: gate.digest });
  // Bob's earlier vote no longer counts: two approvals on the v2 plan are needed.
  expect((await decide(handle, 'bob', gate.digest)).status).toBe('pending');
  expect((await decide(handle, 'carol', gate.digest)).status).toBe('approved');
  const state = await resultOf(handle);
  expect(state.status).toBe('succeeded');
  expect(target.calls('/ship').map((c) => c.body)).toContainEqual({ version: 'v2', region: 'eu' });
  await replays(handle);
});

test('a resume whose params leave the plan as it was keeps the votes', async () => {
  // Started as the API starts runs: params resolved, defaults applied.
  const handle = await h.start(gatedDeploy(target.url), { version: 'v5', region: 'eu' });
  await h.waitForEvent(handle.workflowId, (e) => e.type === 'approval.requested');
  const digest = (await gateOf(handle)).digest!;
  await decide(handle, 'bob', digest);
  await handle.executeUpdate('pauseRun', { args: [operator()] });
  // The same value again changes nothing.
  const resumed = await handle.executeUpdate<RunState, [PauseRequest]>('resumeRun', { args: [operator({ params: { version: 'v5' } })] });
  expect(resumed.approvals[0]).toMatchObject({ digest, votes: [{ approver: 'bob' }] });
  expect(resumed.approvals[0]!.replans).toBeUndefined();
  expect((await decide(handle, 'carol', digest)).status).toBe('approved');
  await resultOf(handle);
  const events = await h.eventsOf(handle.workflowId);
  expect(ofType(events, 'approval.replanned')).toHaveLength(0);
  expect(ofType(events, 'run.resumed')[0]!.data.paramsChanged).toBeUndefined();
  await replays(handle);
});

test('a restartable child run cancelled by an immediate pause re-plans with the new params: a decision on its old gate is refused', async () => {
  const parent = await h.start(
    {
      name: 'release',
      params: { version: { type: 'string', required: true } },
      steps: [{ id: 'deploy', type: 'runbook', runbook: 'gated-deploy', restartable: true, params: { version: '${{ params.version }}' } }],
    },
    { version: 'v1' },
  );
  const firstChild = h.client.workflow.getHandle(`${parent.workflowId}--deploy`);
  await h.waitForEvent(firstChild.workflowId, (e) => e.type === 'approval.requested');
  const oldDigest = (await gateOf(firstChild)).digest!;

  await parent.executeUpdate('pauseRun', { args: [operator({ immediate: true })] });
  await eventually(async () => (await firstChild.describe()).status.name !== 'RUNNING');
  await parent.executeUpdate('resumeRun', { args: [operator({ params: { version: 'v2' } })] });

  // Started afresh under a new key, with the new version rendered into its params.
  const secondChild = h.client.workflow.getHandle(`${parent.workflowId}--deploy-1`);
  await h.waitForEvent(secondChild.workflowId, (e) => e.type === 'approval.requested');
  const gate = await gateOf(secondChild);
  expect((await secondChild.query<RunState>('state')).params).toEqual({ version: 'v2', region: 'eu' });
  expect(gate.digest).not.toBe(oldDigest);

  const stale = await refusal(decide(secondChild, 'bob', oldDigest));
  expect(stale.type).toBe('ApprovalDigestMismatch');
  await decide(secondChild, 'bob', gate.digest);
  await decide(secondChild, 'carol', gate.digest);
  const state = await resultOf(parent);
  expect(state.status).toBe('succeeded');
  expect(target.calls('/ship').map((c) => c.body)).toContainEqual({ version: 'v2', region: 'eu' });
  expect(target.calls('/ship').map((c) => c.body)).not.toContainEqual({ version: 'v1', region: 'eu' });
  await replays(parent);
});
