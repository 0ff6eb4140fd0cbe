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
 * A run stores `run.started` and loads its context (env, backends) in one local activity
 * (`patched('run-started-with-context')`, workflows/runbookRun.ts): one round trip less before the
 * first step. The events and the context the steps see are as before, and runs recorded by the
 * code before the patch (commit 5348b9c) replay under today's code.
 */
const BEFORE_PATCH = '5348b9c43cb9e9fc245eee79fbe6f3cf003fcacf';
const currentBundle = process.env.TEST_WORKFLOW_BUNDLE!;
const runbookEnv = { REGION: 'eu-west-1' };
let h: WorkflowHarness;
let oldTree: string;
let oldNative: NativeConnection;
let oldWorker: Worker;
let oldRunning: Promise<void>;
const oldQueue = `old-start-${randomUUID()}`;

beforeAll(async () => {
  h = await createWorkflowHarness({ config: { runbookEnv } });
  oldTree = mkdtempSync(path.join(os.tmpdir(), 'copilot-old-start-'));
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
      config: { commandAllowlist: [], commandCwd: process.cwd(), runbookEnv, stepLogMaxLines: 100 },
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

/** The context reaches the steps: `when` reads env and backends. */
const CONTEXTUAL: RunbookDocument = {
  name: 'contextual',
  steps: [
    { id: 'in-region', type: 'wait', duration: '1ms', when: "env.REGION == 'eu-west-1'" },
    { id: 'elsewhere', type: 'wait', duration: '1ms', when: "env.REGION != 'eu-west-1'" },
    { id: 'no-prometheus', needs: ['in-region', 'elsewhere'], type: 'wait', duration: '1ms', when: '!backends.prometheus' },
  ],
};

const EventType = temporal.api.enums.v1.EventType;
async function localActivityMarkers(handle: WorkflowHandle): Promise<number> {
  const events = (await handle.fetchHistory()).events ?? [];
  return events.filter((e) => e.eventType === EventType.EVENT_TYPE_MARKER_RECORDED && e.markerRecordedEventAttributes?.markerName === 'core_local_activity').length;
}

function startOld(): Promise<WorkflowHandle> {
  const runId = `run-${randomUUID()}`;
  const input: RunInput = { runId, runbook: RunbookDefinition.parse(CONTEXTUAL), params: {}, requestedBy: { sub: 'alice', roles: ['operator'] } };
  return h.client.workflow.start('runbookRun', { taskQueue: oldQueue, workflowId: runId, args: [input] });
}

test('the same events and context in one local activity less, and both histories replay', async () => {
  const current = await h.start(CONTEXTUAL);
  const old = await startOld();
  const states: RunState[] = [await resultOf(current), await resultOf(old)];
  for (const state of states) {
    expect(state.status).toBe('succeeded');
    expect(state.steps.map((s) => `${s.id}:${s.status}`)).toEqual(['in-region:succeeded', 'elsewhere:skipped', 'no-prometheus:succeeded']);
  }

  const types = async (handle: WorkflowHandle) => (await h.eventsOf(handle.workflowId)).map((e) => `${e.type}${typeof e.data.stepId === 'string' ? `:${e.data.stepId}` : ''}`);
  const currentTypes = await types(current);
  expect(currentTypes[0]).toBe('run.started');
  expect(currentTypes.at(-1)).toBe('run.completed');
  // Steps without needs run concurrently, so compare as multisets past the first event.
  expect([...currentTypes].sort()).toEqual([...(await types(old))].sort());
  const [started] = await h.eventsOf(current.workflowId);
  expect(started?.data).toMatchObject({ runId: current.workflowId, runbook: 'contextual', requestedBy: 'alice' });

  expect(await localActivityMarkers(current)).toBe((await localActivityMarkers(old)) - 1);
  for (const handle of [current, old]) {
    await expect(Worker.runReplayHistory({ workflowBundle: { codePath: currentBundle } }, await handle.fetchHistory(), handle.workflowId)).resolves.toBeUndefined();
  }
});
