import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import type { StoredEvent } from '../../domain/events';
import type { RunbookDocument } from '../../domain/runbook';
import type { RunState } from '../../domain/runState';
import { RUN_STARTED_WITH_CONTEXT_PATCH } from '../../workflows/runbookRun';
import { LOCAL_STEPS_BOUNDARY_PATCH, SHORT_STEPS_LOCAL_PATCH } from '../../workflows/stepActions';
import { startFakeTarget, type FakeTarget } from '../support/fakeDeployTarget';
import { createWorkflowHarness, resultOf, type WorkflowHarness } from '../support/workflowHarness';
import { bundleWorkflowsAt, type WorkflowsAtCommit } from '../support/workflowsAtCommit';

/**
 * Short http/query steps as local activities (domain/stepExecution.ts, patched('short-steps-local-activities')),
 * against the real Temporal dev server, a real worker, Postgres and Prometheus. Where a step ran is read
 * from the workflow history: a local activity is a `core_local_activity` marker, a remote one an
 * ActivityTaskScheduled event.
 */
let h: WorkflowHarness;
let target: FakeTarget;

beforeAll(async () => {
  target = await startFakeTarget();
  h = await createWorkflowHarness({ config: { commandAllowlist: ['echo'], prometheusUrl: process.env.TEST_PROMETHEUS_URL! } });
});
afterAll(async () => {
  await h?.close();
  await target?.close();
});

const short = (urlPath: string, extra: Record<string, unknown> = {}) => ({
  type: 'http' as const,
  request: { method: 'POST' as const, url: `${target.url}${urlPath}`, json: { urlPath } },
  timeout: '5s',
  ...extra,
});

interface Scheduling {
  /** Activity types scheduled as activity tasks, in history order. */
  remote: string[];
  /** Activity types run as local activities, in history order. */
  local: string[];
  patchMarkers: string[];
}

async function scheduling(handle: WorkflowHandle): Promise<Scheduling> {
  const history = await handle.fetchHistory();
  const out: Scheduling = { remote: [], local: [], patchMarkers: [] };
  for (const event of history.events ?? []) {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) out.remote.push(scheduled.activityType!.name!);
    const marker = event.markerRecordedEventAttributes;
    if (marker?.markerName === 'core_local_activity') {
      const data = marker.details!.data!.payloads![0]!.data!;
      out.local.push((JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type: string }).activity_type);
    }
    if (marker?.markerName === 'core_patch') {
      const id = marker.details!['patch-data']!.payloads![0]!.data!;
      out.patchMarkers.push((JSON.parse(Buffer.from(id).toString('utf8')) as { id: string }).id);
    }
  }
  return out;
}

/** The events a run emitted, with the run id taken out, so two runs of one definition compare equal. */
function shape(events: StoredEvent[], runId: string): unknown[] {
  return events.map((e) => {
    const { runId: _runId, output: _output, ...data } = e.data;
    return { type: e.type, data: JSON.parse(JSON.stringify(data).replaceAll(runId, '<run>')) as unknown };
  });
}

const stepsOnly = (types: string[]) => types.filter((t) => t === 'httpStep' || t === 'queryStep' || t === 'commandStep');

async function failedState(handle: WorkflowHandle): Promise<RunState> {
  await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
  return handle.query<RunState>('state');
}

test('short http steps run as local activities with the same Idempotency-Key and the same events as remote ones', async () => {
  const chain = (execution?: 'remote'): RunbookDocument => ({
    name: 'short-chain',
    steps: [
      { id: 'one', ...short(`/chain-${execution ?? 'default'}`, execution ? { execution } : {}) },
      { id: 'two', needs: ['one'], ...short(`/chain-${execution ?? 'default'}`, execution ? { execution } : {}), assert: 'output.body.ok' },
    ],
  });
  const local = await h.start(chain());
  expect((await resultOf(local)).steps.map((s) => [s.id, s.status, s.attempts])).toEqual([
    ['one', 'succeeded', 1],
    ['two', 'succeeded', 1],
  ]);
  const onLocal = await scheduling(local);
  expect(stepsOnly(onLocal.local)).toEqual(['httpStep', 'httpStep']);
  expect(stepsOnly(onLocal.remote)).toEqual([]);
  expect(onLocal.patchMarkers).toEqual([RUN_STARTED_WITH_CONTEXT_PATCH, SHORT_STEPS_LOCAL_PATCH, LOCAL_STEPS_BOUNDARY_PATCH]);
  expect(target.calls('/chain-default').map((c) => c.idempotencyKey)).toEqual([`${local.workflowId}:one`, `${local.workflowId}:two`]);

  // `execution: remote` forces activity tasks; the events are the same, key for key.
  const remote = await h.start(chain('remote'));
  expect((await resultOf(remote)).status).toBe('succeeded');
  const onRemote = await scheduling(remote);
  expect(stepsOnly(onRemote.remote)).toEqual(['httpStep', 'httpStep']);
  expect(stepsOnly(onRemote.local)).toEqual([]);
  expect(onRemote.patchMarkers).toEqual([RUN_STARTED_WITH_CONTEXT_PATCH]);
  expect(target.calls('/chain-remote').map((c) => c.idempotencyKey)).toEqual([`${remote.workflowId}:one`, `${remote.workflowId}:two`]);

  const localEvents = await h.eventsOf(local.workflowId);
  expect(localEvents.map((e) => e.type)).toEqual(['run.started', 'step.started', 'step.succeeded', 'step.started', 'step.succeeded', 'run.completed']);
  expect(shape(localEvents, local.workflowId)).toEqual(shape(await h.eventsOf(remote.workflowId), remote.workflowId));
});

test('a local step retries with its own policy: one Idempotency-Key, one event per attempt', async () => {
  target.failNext('/flaky-local', 2, 503);
  const handle = await h.start({
    name: 'flaky-local',
    steps: [{ id: 'call', ...short('/flaky-local'), retry: { maxAttempts: 4, initialInterval: '100ms', backoffCoefficient: 1 } }],
  });
  const state = await resultOf(handle);
  expect(state.steps[0]).toMatchObject({ id: 'call', status: 'succeeded', attempts: 3 });
  expect(stepsOnly((await scheduling(handle)).local)).toEqual(['httpStep']);
  const calls = target.calls('/flaky-local');
  expect(calls).toHaveLength(3);
  expect(new Set(calls.map((c) => c.idempotencyKey))).toEqual(new Set([`${handle.workflowId}:call`]));
  const events = await h.eventsOf(handle.workflowId);
  expect(events.filter((e) => e.type === 'step.started').map((e) => e.data.attempt)).toEqual([1, 2, 3]);
  expect(events.filter((e) => e.type === 'step.retrying').map((e) => e.data.nextAttempt)).toEqual([2, 3]);
});

test('a local step that exhausts its attempts fails the run with the attempt count; completed steps compensate (remotely)', async () => {
  target.failAlways('/down-local', 503);
  const undo = (name: string) => ({ type: 'http' as const, request: { method: 'POST' as const, url: `${target.url}/undo-local`, json: { undo: name } } });
  const handle = await h.start({
    name: 'saga-local',
    steps: [
      { id: 'one', ...short('/do-local'), compensate: undo('one') },
      { id: 'two', needs: ['one'], ...short('/do-local'), compensate: undo('two') },
      { id: 'down', needs: ['two'], ...short('/down-local'), retry: { maxAttempts: 2, initialInterval: '100ms', backoffCoefficient: 1 } },
    ],
  });
  const state = await failedState(handle);
  expect(state.steps.map((s) => [s.id, s.status])).toEqual([
    ['one', 'compensated'],
    ['two', 'compensated'],
    ['down', 'failed'],
  ]);
  expect(state.steps[2]).toMatchObject({ attempts: 2 });
  expect(state.steps[2]!.error).toMatch(/returned 503/);
  expect(target.calls('/down-local')).toHaveLength(2);
  expect(target.calls('/undo-local').map((r) => [(r.body as { undo: string }).undo, r.idempotencyKey])).toEqual([
    ['two', `${handle.workflowId}:two:compensate`],
    ['one', `${handle.workflowId}:one:compensate`],
  ]);
  const where = await scheduling(handle);
  expect(stepsOnly(where.local)).toEqual(['httpStep', 'httpStep', 'httpStep']);
  // Compensations carry no timeout (60 s default): they stay activity tasks.
  expect(stepsOnly(where.remote)).toEqual(['httpStep', 'httpStep']);
  const events = await h.eventsOf(handle.workflowId);
  expect(events.find((e) => e.type === 'step.failed')!.data).toMatchObject({ stepId: 'down', attempts: 2 });
  expect(events.filter((e) => e.type === 'compensation.step.succeeded').map((e) => e.data.stepId)).toEqual(['two', 'one']);
  expect(events.at(-1)!.type).toBe('run.failed');
});

test('a cancel that arrives during a chain of local steps reaches the run when the chain ends: it compensates and ends as cancelled', async () => {
  // The chain is one workflow task: the cancel waits for its end (or the SDK's heartbeat after ~8 s),
  // then the run compensates every completed step, as with activity tasks. Never run.completed first.
  target.delay('/slow-local', 3000);
  const handle = await h.start({
    name: 'cancel-local',
    steps: [
      { id: 'first', ...short('/fast-local'), compensate: { type: 'http', request: { method: 'POST', url: `${target.url}/undo-fast-local` } } },
      { id: 'slow', needs: ['first'], ...short('/slow-local'), compensate: { type: 'http', request: { method: 'POST', url: `${target.url}/undo-slow-local` } } },
    ],
  });
  await h.waitForEvent(handle.workflowId, (e) => e.type === 'step.started' && e.data.stepId === 'slow');
  await handle.cancel();
  await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
  const state = await handle.query<RunState>('state');
  expect(state.status).toBe('cancelled');
  expect(state.steps.map((s) => s.status)).toEqual(['compensated', 'compensated']);
  expect(target.calls('/undo-slow-local').map((c) => c.idempotencyKey)).toEqual([`${handle.workflowId}:slow:compensate`]);
  expect(target.calls('/undo-fast-local')).toHaveLength(1);
  const events = (await h.eventsOf(handle.workflowId)).map((e) => e.type);
  expect(events).not.toContain('run.completed');
  expect(events.filter((t) => t === 'compensation.step.succeeded')).toHaveLength(2);
  expect(events.at(-1)).toBe('run.cancelled');
  await expect(
    Worker.runReplayHistory({ workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! } }, await handle.fetchHistory(), handle.workflowId),
  ).resolves.toBeUndefined();
});

test('where steps run: short query and foreach items local; commands, long and timeout-less http steps remote', async () => {
  const handle = await h.start({
    name: 'placement',
    steps: [
      { id: 'check', type: 'query', query: 'up', assert: 'size(output.result) > 0', timeout: '5s' },
      { id: 'fleet', type: 'foreach', items: ['a', 'b'], concurrency: 1, timeout: '2s', step: { type: 'http', request: { method: 'POST', url: `${target.url}/fleet-local` } } },
      { id: 'say', type: 'command', command: ['echo', 'hi'], timeout: '5s' },
      { id: 'long', ...short('/long-remote'), timeout: '11s' },
      { id: 'default-timeout', type: 'http', request: { method: 'POST', url: `${target.url}/default-remote` } },
    ],
  });
  expect((await resultOf(handle)).status).toBe('succeeded');
  const where = await scheduling(handle);
  expect(stepsOnly(where.local).sort()).toEqual(['httpStep', 'httpStep', 'queryStep']);
  expect(stepsOnly(where.remote).sort()).toEqual(['commandStep', 'httpStep', 'httpStep']);
  expect(target.calls('/fleet-local').map((c) => c.idempotencyKey)).toEqual([`${handle.workflowId}:fleet[0]`, `${handle.workflowId}:fleet[1]`]);
});

test('a long chain of local steps ends its workflow task every 20 steps and once more before the run ends', async () => {
  const steps = Array.from({ length: 25 }, (_, i) => ({ id: `s${i}`, ...(i ? { needs: [`s${i - 1}`] } : {}), ...short('/long-chain') }));
  const handle = await h.start({ name: 'long-chain', steps });
  expect((await resultOf(handle)).status).toBe('succeeded');
  const history = await handle.fetchHistory();
  expect(stepsOnly((await scheduling(handle)).local)).toHaveLength(25);
  // The no-op activity tasks that end the task: before step 21, and before run.completed. No timers:
  // the dev server fires a 1 ms timer ~0.8 s late, which made a local chain no faster than a remote one.
  expect((await scheduling(handle)).remote).toEqual(['endWorkflowTask', 'endWorkflowTask']);
  expect((history.events ?? []).filter((e) => e.timerStartedEventAttributes)).toHaveLength(0);
  await expect(Worker.runReplayHistory({ workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! } }, history, handle.workflowId)).resolves.toBeUndefined();
  expect(target.calls('/long-chain')).toHaveLength(25);
});

describe('histories recorded before the patches', () => {
  // Commits from before each patch: their bundles run on real workers, and the histories they record
  // must replay under today's code.
  /** Before short steps became local activities. */
  const BEFORE_LOCAL_STEPS = 'd54a3039689d65dafc7eca212e840f0a9ab46840';
  /** Local steps, with the 1 ms timers that ended their workflow tasks (before LOCAL_STEPS_BOUNDARY_PATCH). */
  const BEFORE_BOUNDARY_ACTIVITY = 'e1849334c404e36ec9741e584549d7fe6e82b3f9';
  const bundles: WorkflowsAtCommit[] = [];
  let old: WorkflowHarness;
  let timers: WorkflowHarness;
  const currentBundle = process.env.TEST_WORKFLOW_BUNDLE!;

  async function harnessAt(commit: string): Promise<WorkflowHarness> {
    const bundle = await bundleWorkflowsAt(commit);
    bundles.push(bundle);
    return createWorkflowHarness({ workflowBundle: { codePath: bundle.codePath } });
  }

  beforeAll(async () => {
    old = await harnessAt(BEFORE_LOCAL_STEPS);
    timers = await harnessAt(BEFORE_BOUNDARY_ACTIVITY);
  }, 180_000);
  afterAll(async () => {
    await old?.close();
    await timers?.close();
    for (const bundle of bundles) bundle.remove();
  });

  test('a run of short http steps scheduled as activity tasks by the old code replays under the current code', async () => {
    target.failNext('/old-flaky', 1, 503);
    const handle = await old.start({
      name: 'old-short',
      steps: [
        { id: 'one', ...short('/old') },
        { id: 'two', needs: ['one'], ...short('/old-flaky'), retry: { maxAttempts: 3, initialInterval: '100ms', backoffCoefficient: 1 } },
      ],
    });
    expect((await resultOf(handle)).status).toBe('succeeded');
    const where = await scheduling(handle);
    expect(stepsOnly(where.remote)).toEqual(['httpStep', 'httpStep']);
    expect(where.patchMarkers).toEqual([]);
    await expect(Worker.runReplayHistory({ workflowBundle: { codePath: currentBundle } }, await handle.fetchHistory(), handle.workflowId)).resolves.toBeUndefined();
  });

  test('a long local chain recorded with 1 ms boundary timers replays under the current code', async () => {
    const steps = Array.from({ length: 22 }, (_, i) => ({ id: `s${i}`, ...(i ? { needs: [`s${i - 1}`] } : {}), ...short('/timer-chain') }));
    const handle = await timers.start({ name: 'timer-chain', steps });
    expect((await resultOf(handle)).status).toBe('succeeded');
    const history = await handle.fetchHistory();
    expect((history.events ?? []).filter((e) => e.timerStartedEventAttributes)).toHaveLength(2);
    expect((await scheduling(handle)).patchMarkers).toEqual([SHORT_STEPS_LOCAL_PATCH]);
    await expect(Worker.runReplayHistory({ workflowBundle: { codePath: currentBundle } }, history, handle.workflowId)).resolves.toBeUndefined();
  });

  test('a run recorded by the current code (local steps, patch marker) replays too', async () => {
    const handle = await h.start({ name: 'new-short', steps: [{ id: 'one', ...short('/new') }] });
    expect((await resultOf(handle)).status).toBe('succeeded');
    await expect(Worker.runReplayHistory({ workflowBundle: { codePath: currentBundle } }, await handle.fetchHistory(), handle.workflowId)).resolves.toBeUndefined();
  });
});
