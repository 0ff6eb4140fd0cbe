import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { StoredEvent } from '../../domain/events';
import type { PauseRequest } from '../../domain/pause';
import type { RunState } from '../../domain/runState';
import { RunStatusKey } from '../../temporal/searchAttributes';
import { startFakeTarget, type FakeTarget } from '../support/fakeDeployTarget';
import { Worker } from '@temporalio/worker';
import { createWorkflowHarness, resultOf, type WorkflowHarness } from '../support/workflowHarness';

/** Pause and resume on the real Temporal dev server, a real worker and the real Postgres event log. */
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

const http = (path: string) => ({ type: 'http' as const, request: { method: 'POST' as const, url: `${target.url}${path}` } });
const operator = (extra: Partial<PauseRequest> = {}): PauseRequest => ({ by: 'olga', roles: ['operator'], via: 'api', reason: 'error budget', ...extra });
const state = (handle: WorkflowHandle) => handle.query<RunState>('state');
const ofType = (events: StoredEvent[], type: string) => events.filter((e) => e.type === type);

async function eventually<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function searchStatus(handle: WorkflowHandle): Promise<string | undefined> {
  return (await handle.describe()).typedSearchAttributes.get(RunStatusKey);
}

test('a pause between steps lets the running step finish, starts nothing new until resumed, then completes', async () => {
  target.delay('/first-slow', 800);
  const handle = await h.start({
    name: 'pausable',
    steps: [
      { id: 'first', ...http('/first-slow') },
      { id: 'second', needs: ['first'], ...http('/second') },
    ],
  });
  await h.waitForEvent(handle.workflowId, (e) => e.type === 'step.started' && e.data.stepId === 'first');
  const paused = await handle.executeUpdate<RunState, [PauseRequest]>('pauseRun', { args: [operator()] });
  expect(paused.status).toBe('paused');
  expect(paused.pause).toMatchObject({ by: 'olga', via: 'api', reason: 'error budget', immediate: false, restarting: [] });

  // `first` finishes; `second` does not start while paused.
  await h.waitForEvent(handle.workflowId, (e) => e.type === 'step.succeeded' && e.data.stepId === 'first');
  await new Promise((r) => setTimeout(r, 700));
  const waiting = await state(handle);
  expect(waiting.status).toBe('paused');
  expect(waiting.waitingFor).toContain('resume (paused by olga)');
  expect(waiting.steps.map((s) => [s.id, s.status])).toEqual([
    ['first', 'succeeded'],
    ['second', 'pending'],
  ]);
  expect(target.calls('/second')).toHaveLength(0);
  expect(await searchStatus(handle)).toBe('paused');

  // A second pause and a resume from a run that is not paused are refused (the API's 409).
  await expect(handle.executeUpdate('pauseRun', { args: [operator()] })).rejects.toBeInstanceOf(WorkflowUpdateFailedError);

  const resumed = await handle.executeUpdate<RunState, [PauseRequest]>('resumeRun', { args: [operator({ by: 'rita', reason: 'budget ok' })] });
  expect(resumed.status).toBe('running');
  expect(resumed.pause).toBeUndefined();
  const final = await resultOf(handle);
  expect(final.status).toBe('succeeded');
  expect(target.calls('/second')).toHaveLength(1);

  await expect(handle.executeUpdate('resumeRun', { args: [operator()] })).rejects.toThrow();
  const events = await h.eventsOf(handle.workflowId);
  expect(ofType(events, 'run.paused').map((e) => e.data)).toEqual([
    expect.objectContaining({ by: 'olga', via: 'api', claimed: false, reason: 'error budget', immediate: false, restarting: [] }),
  ]);
  expect(ofType(events, 'run.resumed').map((e) => e.data)).toEqual([expect.objectContaining({ by: 'rita', reason: 'budget ok', pausedBy: 'olga' })]);
  const order = events.map((e) => (e.type === 'step.started' ? `started:${String(e.data.stepId)}` : e.type));
  expect(order.indexOf('run.resumed')).toBeLessThan(order.indexOf('started:second'));
  await replays(handle);
});

test('an immediate pause cancels running restartable steps and re-runs them on resume; the others finish', async () => {
  target.delay('/restartable', 3000);
  target.delay('/steady', 1200);
  const handle = await h.start({
    name: 'immediate',
    steps: [
      { id: 'rollout', ...http('/restartable'), restartable: true },
      { id: 'steady', ...http('/steady') },
      { id: 'after', needs: ['rollout', 'steady'], ...http('/after-immediate') },
    ],
  });
  await h.waitForEvent(handle.workflowId, (e) => e.type === 'step.started' && e.data.stepId === 'rollout');
  await h.waitForEvent(handle.workflowId, (e) => e.type === 'step.started' && e.data.stepId === 'steady');
  const paused = await handle.executeUpdate<RunState, [PauseRequest]>('pauseRun', { args: [operator({ immediate: true })] });
  expect(paused.pause).toMatchObject({ immediate: true, restarting: ['rollout'] });

  const whilePaused = await eventually(async () => {
    const s = await state(handle);
    return s.steps.find((x) => x.id === 'steady')?.status === 'succeeded' && s;
  });
  expect(whilePaused.status).toBe('paused');
  expect(whilePaused.steps.find((s) => s.id === 'rollout')).toMatchObject({ status: 'pending', restarts: 1 });
  expect(target.calls('/restartable')).toHaveLength(1);

  await handle.executeUpdate('resumeRun', { args: [operator({ reason: 'go' })] });
  const final = await resultOf(handle);
  expect(final.status).toBe('succeeded');
  expect(final.steps.find((s) => s.id === 'rollout')).toMatchObject({ status: 'succeeded', restarts: 1 });
  // Run again with its own key (not deduplicated as the cancelled attempt).
  const calls = target.calls('/restartable');
  expect(calls).toHaveLength(2);
  expect(calls.map((c) => c.idempotencyKey)).toEqual([`${handle.workflowId}:rollout`, `${handle.workflowId}:rollout~1`]);
  expect(target.calls('/steady')).toHaveLength(1);
  const events = await h.eventsOf(handle.workflowId);
  expect(ofType(events, 'step.cancelled').map((e) => e.data)).toEqual([expect.objectContaining({ stepId: 'rollout', reason: 'paused', restart: true })]);
  expect(ofType(events, 'step.started').filter((e) => e.data.stepId === 'rollout')).toHaveLength(2);
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  await replays(handle);
});

test('the pause / resume signals (Temporal UI) pause with a claimed name; a malformed one is refused in the details', async () => {
  target.delay('/sig-first', 600);
  const handle = await h.start({
    name: 'signalled',
    steps: [
      { id: 'first', ...http('/sig-first') },
      { id: 'second', needs: ['first'], ...http('/sig-second') },
    ],
  });
  await h.waitForEvent(handle.workflowId, (e) => e.type === 'step.started' && e.data.stepId === 'first');
  await handle.signal('pause', { by: 'carol', reason: 'looks odd' });
  const paused = await eventually(async () => {
    const s = await state(handle);
    return s.status === 'paused' && s;
  });
  expect(paused.pause).toMatchObject({ by: 'carol', via: 'temporal-signal', claimed: true, reason: 'looks odd' });
  const meta = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
  expect(meta.currentDetails).toContain('To resume here, send signal `resume` with:');
  expect(meta.currentDetails).toContain('```json\n{"by":"<your name>","reason":"<why>"}\n```');

  await handle.signal('resume', { by: 'carol', extra: 1 });
  await eventually(async () => ((await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata')).currentDetails ?? '').includes('Refused `resume` signal'));
  expect((await state(handle)).status).toBe('paused');

  await handle.signal('resume', { by: 'carol' });
  expect((await resultOf(handle)).status).toBe('succeeded');
  const events = await h.eventsOf(handle.workflowId);
  expect(ofType(events, 'run.paused')[0]!.data).toMatchObject({ by: 'carol', via: 'temporal-signal', claimed: true });
  expect(ofType(events, 'run.resumed')).toHaveLength(1);
  await replays(handle);
});

test('cancelling a paused run compensates and ends it as cancelled', async () => {
  const handle = await h.start({
    name: 'cancel-paused',
    steps: [
      { id: 'one', ...http('/cp-one'), compensate: { type: 'http', request: { method: 'POST', url: `${target.url}/cp-undo` } } },
      { id: 'two', needs: ['one'], type: 'wait', duration: '2s' },
      { id: 'three', needs: ['two'], ...http('/cp-three') },
    ],
  });
  await h.waitForEvent(handle.workflowId, (e) => e.type === 'step.started' && e.data.stepId === 'two');
  await handle.executeUpdate('pauseRun', { args: [operator()] });
  await h.waitForEvent(handle.workflowId, (e) => e.type === 'step.succeeded' && e.data.stepId === 'two');
  await handle.cancel();
  await expect(handle.result()).rejects.toThrow();
  const final = await state(handle);
  expect(final.status).toBe('cancelled');
  expect(target.calls('/cp-three')).toHaveLength(0);
  expect(target.calls('/cp-undo')).toHaveLength(1);
  await replays(handle);
});
