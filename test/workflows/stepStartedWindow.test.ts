import type { StoredEvent } from '../../domain/events';
import { startFakeTarget, type FakeTarget } from '../support/fakeDeployTarget';
import { createWorkflowHarness, resultOf, type WorkflowHarness } from '../support/workflowHarness';

/**
 * An http or query step's step.started is stored after a short window, or together with the
 * attempt's outcome when the body ends sooner (activities/stepLifecycle.ts): one statement per
 * short step. The window is widened to 1 s here so "sooner" does not depend on this machine's load.
 */
const WINDOW_MS = 1000;
let h: WorkflowHarness;
let target: FakeTarget;

beforeAll(async () => {
  target = await startFakeTarget();
  h = await createWorkflowHarness({ config: { stepStartedWindowMs: WINDOW_MS } });
});
afterAll(async () => {
  await h?.close();
  await target?.close();
});

const http = (urlPath: string, extra: Record<string, unknown> = {}) => ({
  type: 'http' as const,
  request: { method: 'POST' as const, url: `${target.url}${urlPath}`, json: { urlPath } },
  timeout: '8s',
  ...extra,
});
const find = (events: StoredEvent[], type: string, stepId: string) => events.find((e) => e.type === type && e.data.stepId === stepId);

test('a quick step stores step.started with its outcome; a slow one stores it while the body runs', async () => {
  target.delay('/window-slow', 3 * WINDOW_MS);
  const handle = await h.start({
    name: 'started-window',
    steps: [
      { id: 'quick', ...http('/window-quick') },
      { id: 'slow', needs: ['quick'], ...http('/window-slow') },
    ],
  });
  const slowStarted = await h.waitForEvent(handle.workflowId, (e) => e.type === 'step.started' && e.data.stepId === 'slow', 10_000);
  // Seen while the target still holds the request.
  expect(find(await h.eventsOf(handle.workflowId), 'step.succeeded', 'slow')).toBeUndefined();
  expect(target.calls('/window-slow')).toHaveLength(1);
  expect((await resultOf(handle)).status).toBe('succeeded');

  const events = await h.eventsOf(handle.workflowId);
  const quickStarted = find(events, 'step.started', 'quick')!;
  const quickSucceeded = find(events, 'step.succeeded', 'quick')!;
  // One statement: consecutive seqs and its transaction's one timestamp.
  expect(quickSucceeded.seq).toBe(quickStarted.seq + 1);
  expect(quickSucceeded.createdAt).toBe(quickStarted.createdAt);
  const slowSucceeded = find(events, 'step.succeeded', 'slow')!;
  expect(Date.parse(slowSucceeded.createdAt) - Date.parse(slowStarted.createdAt)).toBeGreaterThanOrEqual(WINDOW_MS);
  expect(events.map((e) => `${e.type}${typeof e.data.stepId === 'string' ? `:${e.data.stepId}` : ''}`)).toEqual([
    'run.started',
    'step.started:quick',
    'step.succeeded:quick',
    'step.started:slow',
    'step.succeeded:slow',
    'run.completed',
  ]);
});

test('a quick attempt that fails stores step.started with step.retrying, then the retry as before', async () => {
  target.failNext('/window-flaky', 1, 503);
  const handle = await h.start({
    name: 'started-window-retry',
    steps: [{ id: 'flaky', ...http('/window-flaky'), retry: { maxAttempts: 2, initialInterval: '100ms', backoffCoefficient: 1 } }],
  });
  expect((await resultOf(handle)).status).toBe('succeeded');
  const events = (await h.eventsOf(handle.workflowId)).filter((e) => e.type.startsWith('step.'));
  expect(events.map((e) => `${e.type}#${String(e.data.attempt)}`)).toEqual(['step.started#1', 'step.retrying#1', 'step.started#2', 'step.succeeded#2']);
  expect(events[1]!.createdAt).toBe(events[0]!.createdAt);
  expect(events[3]!.createdAt).toBe(events[2]!.createdAt);
});

test('a quick attempt that fails for good still stores its step.started before the run fails', async () => {
  target.failAlways('/window-broken', 404);
  const handle = await h.start({ name: 'started-window-fail', steps: [{ id: 'broken', ...http('/window-broken') }] });
  await expect(handle.result()).rejects.toThrow();
  const types = (await h.eventsOf(handle.workflowId)).map((e) => e.type);
  expect(types).toEqual(['run.started', 'step.started', 'step.failed', 'run.failed']);
});
