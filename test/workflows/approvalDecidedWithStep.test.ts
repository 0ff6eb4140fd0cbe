import { execSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../../activities/createActivities';
import { RunbookDefinition, type RunbookDocument } from '../../domain/runbook';
import type { RunInput, RunState } from '../../domain/runState';
import { createRunbookWorker } from '../../workers/createWorker';
import { createWorkflowHarness, resultOf, type WorkflowHarness } from '../support/workflowHarness';

/**
 * An approved gate's approval.decided is stored together with its step's step.succeeded, in one
 * local activity (`patched('approval-decided-with-step')`, workflows/approvalGate.ts): one round
 * trip less between the decision and the next step. The events, their order and keys are as
 * before. Runs recorded by the code before the patch (commit d54a303) replay under today's code.
 */
const BEFORE_PATCH = 'd54a3039689d65dafc7eca212e840f0a9ab46840';
const currentBundle = process.env.TEST_WORKFLOW_BUNDLE!;
let h: WorkflowHarness;
let oldTree: string;
let oldNative: NativeConnection;
let oldWorker: Worker;
let oldRunning: Promise<void>;
const oldQueue = `old-gates-${randomUUID()}`;

beforeAll(async () => {
  h = await createWorkflowHarness();
  oldTree = mkdtempSync(path.join(os.tmpdir(), 'copilot-old-gates-'));
  execSync(`git archive --format=tar ${BEFORE_PATCH} | tar -x -C ${JSON.stringify(oldTree)}`, { cwd: path.resolve(__dirname, '../..'), stdio: ['ignore', 'ignore', 'inherit'] });
  symlinkSync(path.resolve(__dirname, '../../node_modules'), path.join(oldTree, 'node_modules'), 'dir');
  const { code } = await bundleWorkflowCode({ workflowsPath: path.join(oldTree, 'workflows', 'index.ts'), logger: new DefaultLogger('ERROR') });
  const oldBundle = path.join(oldTree, 'old-workflows.js');
  writeFileSync(oldBundle, code);
  oldNative = await NativeConnection.connect({ address: process.env.TEST_TEMPORAL_ADDRESS! });
  oldWorker = await createRunbookWorker({
    connection: oldNative,
    namespace: 'default',
    taskQueue: oldQueue,
    activities: createActivities({
      events: h.events,
      catalogue: { get: () => undefined },
      config: { commandAllowlist: [], commandCwd: process.cwd(), runbookEnv: {}, stepLogMaxLines: 100 },
    }),
    workflowBundle: { codePath: oldBundle },
  });
  oldRunning = oldWorker.run();
}, 120_000);
afterAll(async () => {
  oldWorker?.shutdown();
  await oldRunning;
  await oldNative?.close();
  await h?.close();
  if (oldTree) rmSync(oldTree, { recursive: true, force: true });
});

const GATED: RunbookDocument = {
  name: 'gated',
  steps: [
    { id: 'gate', type: 'approval', approvers: { roles: ['approver'], count: 1 } },
    { id: 'after', needs: ['gate'], type: 'wait', duration: '1ms' },
  ],
};

const EventType = temporal.api.enums.v1.EventType;
async function localActivityMarkers(handle: WorkflowHandle): Promise<number> {
  const events = (await handle.fetchHistory()).events ?? [];
  return events.filter((e) => e.eventType === EventType.EVENT_TYPE_MARKER_RECORDED && e.markerRecordedEventAttributes?.markerName === 'core_local_activity').length;
}

/** Runs GATED to the end, the gate approved by update or by signal. */
async function approvedRun(handle: WorkflowHandle, via: 'update' | 'signal'): Promise<RunState> {
  await h.waitForEvent(handle.workflowId, (e) => e.type === 'approval.requested');
  if (via === 'update') {
    await handle.executeUpdate('decideApproval', { args: [{ gateId: 'gate', decision: 'approve', approver: 'bob', approverRoles: ['approver'], via: 'api' }] });
  } else {
    await handle.signal('approval', { gateId: 'gate', decision: 'approve', approver: 'bob' });
  }
  return resultOf(handle);
}

function startOld(): Promise<WorkflowHandle> {
  const runId = `run-${randomUUID()}`;
  const input: RunInput = { runId, runbook: RunbookDefinition.parse(GATED), params: {}, requestedBy: { sub: 'alice', roles: ['operator'] } };
  return h.client.workflow.start('runbookRun', { taskQueue: oldQueue, workflowId: runId, args: [input] });
}

test.each(['update', 'signal'] as const)('approved by %s: the same events in one append less, and the history replays', async (via) => {
  const current = await h.start(GATED);
  const old = await startOld();
  expect((await approvedRun(current, via)).status).toBe('succeeded');
  expect((await approvedRun(old, via)).status).toBe('succeeded');

  const types = async (handle: WorkflowHandle) => (await h.eventsOf(handle.workflowId)).map((e) => `${e.type}${typeof e.data.stepId === 'string' ? `:${e.data.stepId}` : ''}`);
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
  expect(await types(current)).toEqual(expected);
  expect(await types(old)).toEqual(expected);
  // approval.decided and the gate's step.succeeded shared one local activity; so did run.started
  // and the run's context since (test/workflows/runStartedWithContext.test.ts).
  expect(await localActivityMarkers(current)).toBe((await localActivityMarkers(old)) - 2);

  for (const handle of [current, old]) {
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
