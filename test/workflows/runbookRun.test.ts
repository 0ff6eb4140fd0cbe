import { WorkflowFailedError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { StoredEvent } from '../../domain/events';
import type { RunState } from '../../domain/runState';
import { startFakeTarget, type FakeTarget } from '../support/fakeDeployTarget';
import { createWorkflowHarness, resultOf, type WorkflowHarness } from '../support/workflowHarness';

/** runbookRun against the real Temporal dev server, a real worker and the real Postgres event log. */
let h: WorkflowHarness;
let target: FakeTarget;

beforeAll(async () => {
  target = await startFakeTarget();
  h = await createWorkflowHarness({
    config: {
      commandAllowlist: ['echo', 'false', process.execPath],
      runbookEnv: { DEPLOY_API_URL: '' },
      prometheusUrl: process.env.TEST_PROMETHEUS_URL!,
    },
  });
});
afterAll(async () => {
  await h?.close();
  await target?.close();
});

const types = (events: StoredEvent[]) => events.map((e) => e.type);
const http = (path: string, extra: Record<string, unknown> = {}) => ({
  type: 'http' as const,
  request: { method: 'POST' as const, url: `${target.url}${path}`, json: { path } },
  ...extra,
});

async function failedState(handle: WorkflowHandle): Promise<RunState> {
  await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
  return handle.query<RunState>('state');
}

test('independent steps run in parallel up to `concurrency`, dependents wait for their needs', async () => {
  target.delay('/p', 400);
  const handle = await h.start({
    name: 'parallel',
    concurrency: 2,
    steps: [
      { id: 'a', ...http('/p') },
      { id: 'b', ...http('/p') },
      { id: 'c', ...http('/p') },
      { id: 'd', ...http('/p') },
      { id: 'after', needs: ['a', 'b', 'c', 'd'], ...http('/after') },
    ],
  });
  const state = await resultOf(handle);
  expect(state.status).toBe('succeeded');
  expect(target.calls('/p')).toHaveLength(4);
  expect(target.peakConcurrency()).toBe(2);
  const afterCall = target.calls('/after')[0]!;
  expect(Math.max(...target.calls('/p').map((r) => r.at))).toBeLessThanOrEqual(afterCall.at);
  const events = await h.eventsOf(handle.workflowId);
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  expect(types(events)[0]).toBe('run.started');
  expect(types(events).at(-1)).toBe('run.completed');
});

test('a transient failure is retried with the step policy; each attempt is one event, never duplicated', async () => {
  target.failNext('/flaky', 2, 503);
  const handle = await h.start({
    name: 'flaky',
    steps: [{ id: 'call', ...http('/flaky'), retry: { maxAttempts: 4, initialInterval: '100ms', backoffCoefficient: 1 } }],
  });
  const state = await resultOf(handle);
  expect(state.steps[0]).toMatchObject({ id: 'call', status: 'succeeded', attempts: 3 });
  const calls = target.calls('/flaky');
  expect(calls).toHaveLength(3);
  // Same Idempotency-Key on every attempt: derived from run id + step id.
  expect(new Set(calls.map((c) => c.idempotencyKey))).toEqual(new Set([`${handle.workflowId}:call`]));
  const events = await h.eventsOf(handle.workflowId);
  expect(types(events).filter((t) => t === 'step.retrying')).toHaveLength(2);
  expect(events.filter((e) => e.type === 'step.started').map((e) => e.data.attempt)).toEqual([1, 2, 3]);
  expect(types(events).filter((t) => t === 'step.succeeded')).toHaveLength(1);
});

test('an `assert` that fails is retried with the step policy, like a smoke check waiting for a rollout', async () => {
  const handle = await h.start({
    name: 'converge',
    steps: [
      {
        id: 'smoke',
        ...http('/converge'),
        assert: 'output.body.count >= 3',
        retry: { maxAttempts: 4, initialInterval: '100ms', backoffCoefficient: 1 },
      },
      { id: 'never-true', needs: ['smoke'], ...http('/nope'), assert: 'output.body.count > 100', retry: { maxAttempts: 2, initialInterval: '100ms', backoffCoefficient: 1 } },
    ],
  });
  const state = await failedState(handle);
  expect(state.steps[0]).toMatchObject({ status: 'succeeded', attempts: 3 });
  expect(state.steps[1]).toMatchObject({ status: 'failed', attempts: 2 });
  expect(state.steps[1]!.error).toBe('assertion failed: output.body.count > 100');
  expect(target.calls('/converge')).toHaveLength(3);
});

test('a failed step compensates completed steps in reverse completion order and fails the run', async () => {
  target.failAlways('/boom', 400);
  const comp = (name: string) => ({ type: 'http' as const, request: { method: 'POST' as const, url: `${target.url}/undo`, json: { undo: name } } });
  const handle = await h.start({
    name: 'saga',
    steps: [
      { id: 'one', ...http('/do'), compensate: comp('one') },
      { id: 'two', needs: ['one'], ...http('/do'), compensate: comp('two') },
      { id: 'three', needs: ['two'], ...http('/do'), compensate: comp('three') },
      { id: 'explode', needs: ['three'], ...http('/boom') },
      { id: 'never', needs: ['explode'], ...http('/never') },
    ],
  });
  const state = await failedState(handle);
  expect(state.status).toBe('failed');
  expect(state.error).toContain('explode');
  expect(target.calls('/boom')).toHaveLength(1); // 400 is permanent: no retry
  expect(target.calls('/undo').map((r) => (r.body as { undo: string }).undo)).toEqual(['three', 'two', 'one']);
  expect(target.calls('/never')).toHaveLength(0);
  expect(state.steps.map((s) => [s.id, s.status])).toEqual([
    ['one', 'compensated'],
    ['two', 'compensated'],
    ['three', 'compensated'],
    ['explode', 'failed'],
    ['never', 'cancelled'],
  ]);
  expect(state.compensated).toBe(true);
  const events = types(await h.eventsOf(handle.workflowId));
  expect(events.indexOf('step.failed')).toBeLessThan(events.indexOf('compensation.started'));
  expect(events.filter((t) => t === 'compensation.step.succeeded')).toHaveLength(3);
  expect(events.at(-1)).toBe('run.failed');
});

const gated = (extra: Record<string, unknown> = {}) => ({
  name: 'gated',
  steps: [
    { id: 'prep', ...http('/prep') },
    { id: 'approve', type: 'approval' as const, needs: ['prep'], fourEyes: true, approvers: { roles: ['approver' as const], count: 1 }, ...extra },
    { id: 'ship', needs: ['approve'], ...http('/ship') },
  ],
});

test('approval through the update: four-eyes refuses the requester, a second decision is refused, the run resumes', async () => {
  const handle = await h.start(gated(), {}, { sub: 'alice', roles: ['operator', 'approver'] });
  await h.waitForEvent(handle.workflowId, (e) => e.type === 'approval.requested');
  const waiting = await handle.query<RunState>('state');
  expect(waiting.status).toBe('waiting_approval');
  expect(waiting.approvals[0]).toMatchObject({ gateId: 'approve', status: 'pending', fourEyes: true });

  const decide = (approver: string, roles: string[]) =>
    handle.executeUpdate('decideApproval', { args: [{ gateId: 'approve', decision: 'approve', approver, approverRoles: roles, via: 'api' }] });
  const refusal = async (p: Promise<unknown>) => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    const cause = (err as WorkflowUpdateFailedError).cause as { type?: string; message: string };
    return `${cause.type}: ${cause.message}`;
  };
  expect(await refusal(decide('alice', ['approver']))).toMatch(/^ApprovalForbidden: four-eyes/);
  expect(await refusal(decide('viewer-vic', ['viewer']))).toMatch(/^ApprovalForbidden: .*needs one of the roles approver/);
  const gate = await decide('bob', ['approver']);
  expect(gate).toMatchObject({ status: 'approved', decidedBy: 'bob', via: 'api' });
  expect(await refusal(decide('carol', ['approver']))).toMatch(/^ApprovalAlreadyDecided: .*already approved/);

  const state = await resultOf(handle);
  expect(state.status).toBe('succeeded');
  expect(state.approvals[0]).toMatchObject({ status: 'approved', decidedBy: 'bob', via: 'api' });
  const events = await h.eventsOf(handle.workflowId);
  const decided = events.find((e) => e.type === 'approval.decided')!;
  expect(decided.data).toMatchObject({ gateId: 'approve', status: 'approved', decidedBy: 'bob' });
  const shipStarted = events.find((e) => e.type === 'step.started' && e.data.stepId === 'ship')!;
  expect(shipStarted.seq).toBeGreaterThan(decided.seq);
});

test('the `approval` signal as the Temporal UI sends it approves the gate (via temporal-signal, approver claimed)', async () => {
  const handle = await h.start(gated(), {}, { sub: 'alice', roles: ['operator'] });
  await h.waitForEvent(handle.workflowId, (e) => e.type === 'approval.requested');
  // Four-eyes applies to signals too: the requester's own signal is ignored.
  await handle.signal('approval', { gateId: 'approve', decision: 'approve', approver: 'alice' });
  await handle.signal('approval', { gateId: 'approve', decision: 'approve', approver: 'carol', comment: 'from the UI' });
  const state = await resultOf(handle);
  expect(state.approvals[0]).toMatchObject({ status: 'approved', decidedBy: 'carol', via: 'temporal-signal', approverClaimed: true, comment: 'from the UI' });
});

test('a rejection fails the run and compensates', async () => {
  const doc = gated();
  (doc.steps[0] as Record<string, unknown>).compensate = { type: 'http', request: { method: 'POST', url: `${target.url}/undo-prep` } };
  const handle = await h.start(doc);
  await h.waitForEvent(handle.workflowId, (e) => e.type === 'approval.requested');
  await handle.executeUpdate('decideApproval', {
    args: [{ gateId: 'approve', decision: 'reject', approver: 'bob', approverRoles: ['approver'], comment: 'not today', via: 'api' }],
  });
  const state = await failedState(handle);
  expect(state.approvals[0]).toMatchObject({ status: 'rejected', decidedBy: 'bob', comment: 'not today' });
  expect(state.error).toMatch(/rejected by bob/);
  expect(target.calls('/undo-prep')).toHaveLength(1);
  expect(target.calls('/ship').filter((c) => c.idempotencyKey?.startsWith(handle.workflowId))).toHaveLength(0);
});

test('an approval that is not decided in time expires and counts as rejected', async () => {
  const handle = await h.start(gated({ timeout: '1s' }));
  const state = await failedState(handle);
  expect(state.approvals[0]!.status).toBe('expired');
  expect(state.error).toMatch(/expired/);
});

test('cancel stops the run, compensates completed steps and ends as cancelled', async () => {
  const handle = await h.start({
    name: 'cancel-me',
    steps: [
      { id: 'first', ...http('/c1'), compensate: { type: 'http', request: { method: 'POST', url: `${target.url}/undo-c1` } } },
      { id: 'pause', type: 'wait', needs: ['first'], duration: '1h' },
      { id: 'last', needs: ['pause'], ...http('/c2') },
    ],
  });
  await h.waitForEvent(handle.workflowId, (e) => e.type === 'step.started' && e.data.stepId === 'pause');
  await handle.cancel();
  await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
  const state = await handle.query<RunState>('state');
  expect(state.status).toBe('cancelled');
  expect(state.steps.map((s) => s.status)).toEqual(['compensated', 'cancelled', 'cancelled']);
  expect(target.calls('/undo-c1')).toHaveLength(1);
  expect(target.calls('/c2')).toHaveLength(0);
  expect(types(await h.eventsOf(handle.workflowId)).at(-1)).toBe('run.cancelled');
});

test('`when: false` skips a step and its dependents still run; templates see params and earlier outputs', async () => {
  const handle = await h.start(
    {
      name: 'conditional',
      params: { environment: { type: 'string', default: 'staging' }, service: { type: 'string', required: true } },
      steps: [
        { id: 'gate', type: 'approval', when: "params.environment == 'production'" },
        { id: 'first', needs: ['gate'], ...http('/t1') },
        {
          id: 'second',
          needs: ['first'],
          type: 'http',
          request: { method: 'POST', url: `${target.url}/t2`, json: { service: '${{ params.service }}', prev: '${{ steps.first.output.body.path }}', n: '${{ 1 + 1 }}' } },
        },
      ],
    },
    { environment: 'staging', service: 'auth' },
  );
  const state = await resultOf(handle);
  expect(state.steps.map((s) => s.status)).toEqual(['skipped', 'succeeded', 'succeeded']);
  expect(target.calls('/t2').at(-1)!.body).toEqual({ service: 'auth', prev: '/t1', n: 2 });
  expect(types(await h.eventsOf(handle.workflowId))).toContain('step.skipped');
});

test('command steps run argv without a shell, stream their output and respect the allowlist', async () => {
  const handle = await h.start({
    name: 'commands',
    steps: [
      { id: 'say', type: 'command', command: ['echo', 'hello; rm -rf /', '$(whoami)'] },
      { id: 'forbidden', needs: ['say'], type: 'command', command: ['rm', '-rf', '/tmp/nothing'] },
    ],
  });
  const state = await failedState(handle);
  expect(state.steps[0]!.output).toMatchObject({ exitCode: 0, stdout: 'hello; rm -rf / $(whoami)\n' });
  expect(state.steps[1]).toMatchObject({ status: 'failed', attempts: 1 });
  expect(state.steps[1]!.error).toMatch(/not in COMMAND_ALLOWLIST/);
  const logs = (await h.eventsOf(handle.workflowId)).filter((e) => e.type === 'step.log');
  expect(logs.flatMap((e) => e.data.lines as { line: string }[]).map((l) => l.line)).toContain('hello; rm -rf / $(whoami)');
});

test('binary output (NUL bytes) is logged with a replacement character instead of failing the step', async () => {
  const handle = await h.start({
    name: 'binary',
    steps: [{ id: 'bin', type: 'command', command: [process.execPath, '-e', 'process.stdout.write("bin\\u0000ary\\n")'] }],
  });
  const state = await resultOf(handle);
  expect(state.steps[0]).toMatchObject({ status: 'succeeded', attempts: 1 });
  const logs = (await h.eventsOf(handle.workflowId)).filter((e) => e.type === 'step.log');
  expect(logs.flatMap((e) => e.data.lines as { line: string }[]).map((l) => l.line)).toContain('bin\uFFFDary');
});

test('query steps run PromQL against the real Prometheus and `assert` decides the outcome', async () => {
  const handle = await h.start({
    name: 'preflight',
    steps: [
      { id: 'up', type: 'query', query: 'up{job="prometheus"}', assert: 'size(output.result) == 1 && output.result[0].value[1] == "1"' },
      { id: 'bad', needs: ['up'], type: 'query', query: 'sum(rate(', retry: { maxAttempts: 3, initialInterval: '100ms', backoffCoefficient: 1 } },
    ],
  });
  const state = await failedState(handle);
  expect(state.steps[0]!.error).toBeUndefined();
  expect(state.steps[0]).toMatchObject({ status: 'succeeded' });
  expect(state.steps[1]).toMatchObject({ status: 'failed', attempts: 1 });
  expect(state.steps[1]!.error).toMatch(/bad_data/);
});

test('foreach fans out with bounded concurrency and collects outputs in order', async () => {
  target.delay('/item', 200);
  const before = target.calls('/item').length;
  const handle = await h.start(
    {
      name: 'fanout',
      params: { services: { type: 'array', required: true } },
      steps: [
        {
          id: 'each',
          type: 'foreach',
          items: '${{ params.services }}',
          concurrency: 2,
          step: { type: 'http', request: { method: 'POST', url: `${target.url}/item`, json: { service: '${{ item }}', index: '${{ index }}' } } },
        },
      ],
    },
    { services: ['a', 'b', 'c', 'd', 'e'] },
  );
  const state = await resultOf(handle);
  const calls = target.calls('/item').slice(before);
  expect(calls.map((c) => (c.body as { service: string }).service).sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
  expect(new Set(calls.map((c) => c.idempotencyKey)).size).toBe(5);
  const outputs = state.steps[0]!.output as { body: { received: { service: string } } }[];
  expect(outputs.map((o) => o.body.received.service)).toEqual(['a', 'b', 'c', 'd', 'e']);
});
