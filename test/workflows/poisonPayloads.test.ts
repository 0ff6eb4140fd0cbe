import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { PERMANENT_FAILURE } from '../../domain/failureTypes';
import type { RunState } from '../../domain/runState';
import { startFakeTarget, type FakeTarget } from '../support/fakeDeployTarget';
import { createWorkflowHarness, resultOf, type WorkflowHarness } from '../support/workflowHarness';

/**
 * Poison input sent straight through the Temporal client (no API in front): the run must end, with
 * the reason in its events, and the same run must keep answering. Issue 17: each of these used to
 * leave the run `running` forever behind an append retried without end.
 */
let h: WorkflowHarness;
let target: FakeTarget;
const FFFD = '\ufffd';
/** Every run of this file, replayed at the end: the new failure paths (and their patch markers) are deterministic. */
const finished: WorkflowHandle[] = [];

beforeAll(async () => {
  target = await startFakeTarget();
  h = await createWorkflowHarness({ config: { commandAllowlist: [process.execPath] } });
});
afterAll(async () => {
  await h?.close();
  await target?.close();
});

const echo = (id: string, arg: string, extra: Record<string, unknown> = {}) => ({
  id,
  type: 'command' as const,
  command: [process.execPath, '-e', 'process.stdout.write(process.argv[1])', arg],
  retry: { maxAttempts: 3, initialInterval: '100ms', backoffCoefficient: 1 },
  ...extra,
});

async function failure(handle: { result(): Promise<unknown> }): Promise<{ type?: string; message: string }> {
  const err = await handle.result().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  return (err as WorkflowFailedError).cause as unknown as { type?: string; message: string };
}

test('run params with NUL: run.started stores them sanitised, the step fails at once with step.failed, the run ends failed', async () => {
  const handle = await h.start(
    { name: 'nul-params', steps: [echo('greet', '${{ params.name }}'), echo('after', 'x', { needs: ['greet'] })] },
    { name: 'a\u0000b', ['key\u0000']: 'v' },
  );
  finished.push(handle);
  const cause = await failure(handle);
  expect(cause.message).toMatch(/step "greet" failed: .*NUL character/);
  const state = await handle.query<RunState>('state');
  expect(state.status).toBe('failed');
  expect(state.steps.find((s) => s.id === 'greet')).toMatchObject({ status: 'failed', attempts: 1 });
  expect(state.steps.find((s) => s.id === 'after')?.status).toBe('cancelled');

  const events = await h.eventsOf(handle.workflowId);
  const started = events.find((e) => e.type === 'run.started')!;
  expect(started.data.params).toEqual({ name: `a${FFFD}b`, [`key${FFFD}`]: 'v' });
  const failed = events.find((e) => e.type === 'step.failed' && e.data.stepId === 'greet')!;
  expect(failed.data).toMatchObject({ attempts: 1, error: expect.stringMatching(/NUL character/) });
  // Permanent: no step.retrying for it.
  expect(events.filter((e) => e.type === 'step.retrying' && e.data.stepId === 'greet')).toEqual([]);
  expect(events.at(-1)?.type).toBe('run.failed');
});

test('run params with NUL and continueOnError: the poisoned step fails, the run goes on and succeeds', async () => {
  const handle = await h.start(
    { name: 'nul-tolerant', steps: [echo('greet', '${{ params.name }}', { continueOnError: true }), echo('after', 'done', { needs: ['greet'] })] },
    { name: '\u0000' },
  );
  finished.push(handle);
  const state = await resultOf(handle);
  expect(state.status).toBe('succeeded');
  expect(state.steps.map((s) => [s.id, s.status])).toEqual([
    ['greet', 'failed'],
    ['after', 'succeeded'],
  ]);
  const events = await h.eventsOf(handle.workflowId);
  expect(events.find((e) => e.type === 'step.failed')?.data).toMatchObject({ stepId: 'greet', continueOnError: true });
  expect(events.at(-1)?.type).toBe('run.completed');
});

test('~300 KB of params: the run fails at once with run.failed naming the size, no step runs, it is not left running', async () => {
  const began = Date.now();
  const handle = await h.start({ name: 'big-params', steps: [echo('greet', 'hello')] }, { blob: 'x'.repeat(300 * 1024) });
  finished.push(handle);
  const cause = await failure(handle);
  expect(Date.now() - began).toBeLessThan(15_000);
  expect(cause.type).toBe(PERMANENT_FAILURE.runParamsTooLarge);
  expect(cause.message).toMatch(/params are \d+ bytes serialized; .* 262144 bytes/);
  const state = await handle.query<RunState>('state');
  expect(state.status).toBe('failed');
  expect(state.steps[0]?.status).toBe('cancelled');
  const events = await h.eventsOf(handle.workflowId);
  expect(events.map((e) => e.type)).toEqual(['run.started', 'run.failed']);
  expect(events[0]?.data.params).toEqual({ truncated: true, bytes: expect.any(Number) });
  expect((events[0]?.data.params as { bytes: number }).bytes).toBeGreaterThan(300 * 1024);
  expect(events[1]?.data).toMatchObject({ status: 'failed', error: cause.message });
  const description = await handle.describe();
  expect(description.status.name).toBe('FAILED');
});

test('approval decisions with poison comments are decided or refused cleanly, and the same gate still takes a decision', async () => {
  const gate = (id: string, needs: string[]) => ({ id, type: 'approval' as const, needs, approvers: { roles: ['approver' as const], count: 1 } });
  const handle = await h.start({ name: 'poison-gates', steps: [gate('g1', []), gate('g2', ['g1']), gate('g3', ['g2']), echo('ship', 'shipped', { needs: ['g3'] })] });
  finished.push(handle);
  const requested = (gateId: string) => h.waitForEvent(handle.workflowId, (e) => e.type === 'approval.requested' && e.data.gateId === gateId);
  const outcome = (gateId: string) =>
    h.waitForEvent(handle.workflowId, (e) => (e.type === 'approval.decided' || e.type === 'approval.refused') && e.data.gateId === gateId, 15_000);

  // Update with NUL + lone surrogate: either refused by the validator or decided with the comment sanitised.
  await requested('g1');
  const update = await handle
    .executeUpdate('decideApproval', { args: [{ gateId: 'g1', decision: 'approve', approver: 'bob', approverRoles: ['approver'], via: 'api', comment: 'ok\u0000 \ud800' }] })
    .then(
      (gate) => ({ gate }),
      (err: unknown) => ({ err }),
    );
  if ('err' in update) {
    expect(String((update.err as Error).name)).toBe('WorkflowUpdateFailedError');
    await handle.executeUpdate('decideApproval', { args: [{ gateId: 'g1', decision: 'approve', approver: 'bob', approverRoles: ['approver'], via: 'api' }] });
  } else {
    expect(update.gate).toMatchObject({ gateId: 'g1', status: 'approved' });
    expect((await outcome('g1')).data.comment).toBe(`ok${FFFD} ${FFFD}`);
  }

  // Signals with a NUL comment and with a 300 KB one: each is decided (stored sanitised or cut) or
  // refused with approval.refused; after a refusal a clean signal still decides the same gate.
  for (const [gateId, comment] of [
    ['g2', 'no\u0000'],
    ['g3', 'y'.repeat(300 * 1024)],
  ] as const) {
    await requested(gateId);
    await handle.signal('approval', { gateId, decision: 'approve', approver: 'carol', comment });
    const first = await outcome(gateId);
    if (first.type === 'approval.refused') {
      await handle.signal('approval', { gateId, decision: 'approve', approver: 'carol', comment: 'clean' });
      const decided = await h.waitForEvent(handle.workflowId, (e) => e.type === 'approval.decided' && e.data.gateId === gateId, 15_000);
      expect(decided.data).toMatchObject({ status: 'approved', comment: 'clean' });
    } else {
      expect(first.data).toMatchObject({ status: 'approved', decidedBy: 'carol' });
      expect(JSON.stringify(first.data)).not.toContain('\\u0000');
    }
  }
  const state = await resultOf(handle);
  expect(state.status).toBe('succeeded');
  expect(state.approvals.map((a) => a.status)).toEqual(['approved', 'approved', 'approved']);
});

test('an event over the store cap (a 300 KB approval message) is stored cut, with its ids, and the run goes on', async () => {
  const note = 'z'.repeat(150 * 1024);
  const handle = await h.start(
    {
      name: 'big-message',
      steps: [
        { id: 'gate', type: 'approval', message: '${{ params.note }} ${{ params.note }}', approvers: { roles: ['approver'], count: 1 } },
        echo('ship', 'shipped', { needs: ['gate'] }),
      ],
    },
    { note },
  );
  finished.push(handle);
  const requested = await h.waitForEvent(handle.workflowId, (e) => e.type === 'approval.requested');
  expect(requested.data).toMatchObject({ truncated: true, runId: handle.workflowId, gateId: 'gate', message: { truncated: true, chars: 2 * note.length + 3 } });
  await handle.signal('approval', { gateId: 'gate', decision: 'approve', approver: 'carol' });
  expect((await resultOf(handle)).status).toBe('succeeded');
});

test('every run above replays deterministically from its history', async () => {
  expect(finished).toHaveLength(5);
  for (const handle of finished) {
    await handle.result().catch(() => undefined);
    await Worker.runReplayHistory({ workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! } }, await handle.fetchHistory(), handle.workflowId);
  }
});
