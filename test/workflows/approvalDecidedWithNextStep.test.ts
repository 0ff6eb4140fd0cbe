import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import type { DecideApprovalInput } from '../../domain/approval';
import { APPROVALS_STREAM_ID } from '../../domain/approvalFeed';
import type { EventStore, NewEvent } from '../../domain/events';
import type { RunbookDocument } from '../../domain/runbook';
import type { RunState } from '../../domain/runState';
import { RunClient } from '../../temporal/runClient';
import { DECIDED_WITH_NEXT_STEP_PATCH } from '../../workflows/approvalGate';
import { startFakeTarget, type FakeTarget } from '../support/fakeDeployTarget';
import { createWorkflowHarness, resultOf, type WorkflowHarness } from '../support/workflowHarness';
import { bundleWorkflowsAt, type WorkflowsAtCommit } from '../support/workflowsAtCommit';

/**
 * An approved gate's approval.decided and its step's step.succeeded ride along with the next
 * step's activity, which stores them ahead of its own step.started
 * (`patched('approval-decided-with-next-step')`, workflows/approvalGate.ts, RunRuntime.carry): the
 * workflow task that takes the decision completes with the next step at once, no local activity
 * between. The decision's update answers once applied; RunClient.decide stores approval.decided
 * itself before it returns. Runs recorded by the code before (commit d5851c6) replay under today's.
 */
const BEFORE_PATCH = 'd5851c65fdbfcefdb46745720cb1a5f6e855c703';
const { EventType } = temporal.api.enums.v1;
const currentBundle = process.env.TEST_WORKFLOW_BUNDLE!;
let h: WorkflowHarness;
let old: WorkflowHarness;
let oldCode: WorkflowsAtCommit;
let target: FakeTarget;

beforeAll(async () => {
  target = await startFakeTarget();
  h = await createWorkflowHarness();
  oldCode = await bundleWorkflowsAt(BEFORE_PATCH);
  old = await createWorkflowHarness({ workflowBundle: { codePath: oldCode.codePath } });
}, 120_000);
afterAll(async () => {
  await old?.close();
  await h?.close();
  oldCode?.remove();
  await target?.close();
});

const gate = { id: 'gate', type: 'approval' as const, approvers: { roles: ['approver'], count: 1 } };
const http = (urlPath: string, extra: Record<string, unknown> = {}) => ({
  type: 'http' as const,
  request: { method: 'POST' as const, url: `${target.url}${urlPath}`, json: { urlPath } },
  ...extra,
});
const gated = (next: Record<string, unknown>): RunbookDocument => ({ name: 'gated-http', steps: [gate, { id: 'next', needs: ['gate'], ...next }] as RunbookDocument['steps'] });

const APPROVE: DecideApprovalInput = { gateId: 'gate', decision: 'approve', approver: 'bob', approverRoles: ['approver'], via: 'api' };

const labels = async (harness: WorkflowHarness, runId: string) =>
  (await harness.eventsOf(runId)).map((e) => `${e.type}${typeof e.data.stepId === 'string' ? `:${e.data.stepId}` : ''}`);

const EXPECTED = ['run.started', 'step.started:gate', 'approval.requested', 'approval.decided', 'step.succeeded:gate', 'step.started:next', 'step.succeeded:next', 'run.completed'];

/** What the workflow recorded from the update's acceptance until the next step was under way. */
async function afterDecision(handle: WorkflowHandle): Promise<{ localActivities: string[]; activityScheduled: boolean; patches: string[] }> {
  const events = (await handle.fetchHistory()).events ?? [];
  const accepted = events.findIndex(
    (e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED || e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
  );
  const out = { localActivities: [] as string[], activityScheduled: false, patches: [] as string[] };
  for (const event of events.slice(accepted)) {
    if (event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) {
      out.activityScheduled = true;
      break;
    }
    const marker = event.markerRecordedEventAttributes;
    if (marker?.markerName === 'core_local_activity') {
      const data = marker.details!.data!.payloads![0]!.data!;
      const type = (JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type: string }).activity_type;
      out.localActivities.push(type);
      if (type === 'httpStep') break;
    }
    if (marker?.markerName === 'core_patch') {
      const id = marker.details!['patch-data']!.payloads![0]!.data!;
      out.patches.push((JSON.parse(Buffer.from(id).toString('utf8')) as { id: string }).id);
    }
  }
  return out;
}

async function replays(handle: WorkflowHandle): Promise<void> {
  await expect(Worker.runReplayHistory({ workflowBundle: { codePath: currentBundle } }, await handle.fetchHistory(), handle.workflowId)).resolves.toBeUndefined();
}

test.each([
  ['an activity task', {}],
  ['a local activity', { timeout: '5s' }],
])('approved by update, the next step %s: the decision goes with it, no local activity before it', async (_, extra) => {
  const handle = await h.start(gated(http('/after-gate', extra)));
  await h.waitForEvent(handle.workflowId, (e) => e.type === 'approval.requested');
  const decided = await handle.executeUpdate<{ status: string }, [typeof APPROVE]>('decideApproval', { args: [APPROVE] });
  expect(decided.status).toBe('approved');
  expect((await resultOf(handle)).status).toBe('succeeded');

  expect(await labels(h, handle.workflowId)).toEqual(EXPECTED);
  const recorded = await afterDecision(handle);
  expect(recorded.patches).toContain(DECIDED_WITH_NEXT_STEP_PATCH);
  // Nothing but the step itself: no emitRunEvents between the decision and the next step.
  expect(recorded.localActivities.filter((t) => t !== 'httpStep')).toEqual([]);
  if ('timeout' in extra) expect(recorded.localActivities).toEqual(['httpStep']);
  else expect(recorded.activityScheduled).toBe(true);
  // The decision's data is what it always was.
  const event = (await h.eventsOf(handle.workflowId)).find((e) => e.type === 'approval.decided')!;
  expect(event.data).toMatchObject({ gateId: 'gate', status: 'approved', decidedBy: 'bob', via: 'api', approverClaimed: false, comment: null, bound: false });
  // The approvals feed (open consoles) got its copy from the step that carried the decision.
  const feed = (await h.events.list(APPROVALS_STREAM_ID, 0, 10_000)).filter((e) => e.data.runId === handle.workflowId).map((e) => e.type);
  expect(feed).toEqual(['approval.requested', 'approval.decided', 'run.completed']);
  await replays(handle);
});

test('the update answers once the decision is applied, not once the next step is done; RunClient.decide has stored approval.decided by then', async () => {
  target.delay('/slow-next', 3000);
  const handle = await h.start(gated(http('/slow-next')));
  await h.waitForEvent(handle.workflowId, (e) => e.type === 'approval.requested');
  const appended: NewEvent[][] = [];
  const events: Pick<EventStore, 'append'> = {
    append: async (runId, batch) => {
      appended.push(batch);
      return h.events.append(runId, batch);
    },
  };
  const runs = new RunClient({ client: h.client, taskQueue: h.taskQueue, events });
  const decided = await runs.decide(handle.workflowId, APPROVE);
  expect(decided.status).toBe('approved');
  // The next step (3 s) is still running, and the decision is already in the log.
  const now = await labels(h, handle.workflowId);
  expect(now).toContain('approval.decided');
  expect(now).not.toContain('step.succeeded:next');
  // The run's event, then its approvals-feed copy.
  expect(appended.map((batch) => batch.map((e) => e.type))).toEqual([['approval.decided'], ['approval.decided']]);
  expect((await resultOf(handle)).status).toBe('succeeded');
  // Stored once, whichever writer came first.
  expect(await labels(h, handle.workflowId)).toEqual(EXPECTED);
  await replays(handle);
});

test('a client whose append fails still gets its answer; the workflow stores the decision', async () => {
  const handle = await h.start(gated(http('/after-gate')));
  await h.waitForEvent(handle.workflowId, (e) => e.type === 'approval.requested');
  const errors: string[] = [];
  const runs = new RunClient({
    client: h.client,
    taskQueue: h.taskQueue,
    events: { append: () => Promise.reject(new Error('database is down')) },
    onEventError: (err, runId, type) => errors.push(`${runId} ${type}: ${(err as Error).message}`),
  });
  expect((await runs.decide(handle.workflowId, APPROVE)).status).toBe('approved');
  expect(errors).toEqual([`${handle.workflowId} approval.decided: database is down`]);
  expect((await resultOf(handle)).status).toBe('succeeded');
  expect(await labels(h, handle.workflowId)).toEqual(EXPECTED);
});

test('with no step to take them along (a sibling still running), the decision is stored at once, not when the sibling ends', async () => {
  target.delay('/slow-sibling', 3000);
  const doc: RunbookDocument = {
    name: 'gate-beside-slow',
    steps: [gate, { id: 'slow', ...http('/slow-sibling') }, { id: 'after', needs: ['gate', 'slow'], type: 'wait', duration: '1ms' }] as RunbookDocument['steps'],
  };
  const handle = await h.start(doc);
  await h.waitForEvent(handle.workflowId, (e) => e.type === 'approval.requested');
  await handle.signal('approval', { gateId: 'gate', decision: 'approve', approver: 'bob' });
  await h.waitForEvent(handle.workflowId, (e) => e.type === 'step.succeeded' && e.data.stepId === 'gate', 2500);
  const now = await labels(h, handle.workflowId);
  expect(now.slice(now.indexOf('approval.decided'))).toEqual(['approval.decided', 'step.succeeded:gate']);
  expect(now).not.toContain('step.succeeded:slow');
  expect((await resultOf(handle)).status).toBe('succeeded');
  await replays(handle);
});

test('the next step fails: the decision is stored before its step.started and step.failed', async () => {
  target.failAlways('/broken-next', 500);
  const handle = await h.start(gated(http('/broken-next', { retry: { maxAttempts: 1 } })));
  await h.waitForEvent(handle.workflowId, (e) => e.type === 'approval.requested');
  await handle.executeUpdate('decideApproval', { args: [APPROVE] });
  await expect(handle.result()).rejects.toThrow();
  const all = await labels(h, handle.workflowId);
  expect(all.slice(all.indexOf('approval.decided'))).toEqual(['approval.decided', 'step.succeeded:gate', 'step.started:next', 'step.failed:next', 'run.failed']);
  await replays(handle);
});

test('an approval whose inputs are too big for one event: the run goes on, the decision is stored cut and in order', async () => {
  const doc: RunbookDocument = {
    name: 'gate-with-inputs',
    steps: [
      { ...gate, inputs: { note: { type: 'string' } } },
      { id: 'next', needs: ['gate'], ...http('/after-gate') },
    ] as RunbookDocument['steps'],
  };
  const handle = await h.start(doc);
  await h.waitForEvent(handle.workflowId, (e) => e.type === 'approval.requested');
  await handle.executeUpdate('decideApproval', { args: [{ ...APPROVE, inputs: { note: 'x'.repeat(300_000) } }] });
  expect((await resultOf(handle)).status).toBe('succeeded');
  const events = await h.eventsOf(handle.workflowId);
  const all = events.map((e) => `${e.type}${typeof e.data.stepId === 'string' ? `:${e.data.stepId}` : ''}`);
  expect(all).toEqual(EXPECTED);
  expect(events.find((e) => e.type === 'approval.decided')!.data.truncated).toBe(true);
  await replays(handle);
});

test.each(['update', 'signal'] as const)('runs approved by %s under the code from before replay under today’s', async (via) => {
  const handle = await old.start(gated(http('/after-gate')));
  await old.waitForEvent(handle.workflowId, (e) => e.type === 'approval.requested');
  if (via === 'update') await handle.executeUpdate('decideApproval', { args: [APPROVE] });
  else await handle.signal('approval', { gateId: 'gate', decision: 'approve', approver: 'bob' });
  expect(((await handle.result()) as RunState).status).toBe('succeeded');
  expect(await labels(old, handle.workflowId)).toEqual(EXPECTED);
  // The code from before stored the decision with a local activity of its own.
  expect((await afterDecision(handle)).localActivities).toEqual(['emitRunEvents']);
  await replays(handle);
});
