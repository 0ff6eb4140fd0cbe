import type { WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import type { RunbookDocument } from '../../domain/runbook';
import type { RunState } from '../../domain/runState';
import { createWorkflowHarness, localActivityMarkers, resultOf, type WorkflowHarness } from '../support/workflowHarness';
import { bundleWorkflowsAt, type WorkflowsAtCommit } from '../support/workflowsAtCommit';

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
let old: WorkflowHarness;
let oldCode: WorkflowsAtCommit;

beforeAll(async () => {
  h = await createWorkflowHarness({ config: { runbookEnv } });
  oldCode = await bundleWorkflowsAt(BEFORE_PATCH);
  old = await createWorkflowHarness({ config: { runbookEnv }, workflowBundle: { codePath: oldCode.codePath } });
}, 120_000);
afterAll(async () => {
  await old?.close();
  await h?.close();
  oldCode?.remove();
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

test('the same events and context in one local activity less, and both histories replay', async () => {
  const current = await h.start(CONTEXTUAL);
  const oldRun = await old.start(CONTEXTUAL);
  const states: RunState[] = [await resultOf(current), await resultOf(oldRun)];
  for (const state of states) {
    expect(state.status).toBe('succeeded');
    expect(state.steps.map((s) => `${s.id}:${s.status}`)).toEqual(['in-region:succeeded', 'elsewhere:skipped', 'no-prometheus:succeeded']);
  }

  const types = async (harness: WorkflowHarness, handle: WorkflowHandle) =>
    (await harness.eventsOf(handle.workflowId)).map((e) => `${e.type}${typeof e.data.stepId === 'string' ? `:${e.data.stepId}` : ''}`);
  const currentTypes = await types(h, current);
  expect(currentTypes[0]).toBe('run.started');
  expect(currentTypes.at(-1)).toBe('run.completed');
  // Steps without needs run concurrently, so compare as multisets past the first event.
  expect([...currentTypes].sort()).toEqual([...(await types(old, oldRun))].sort());
  const [started] = await h.eventsOf(current.workflowId);
  expect(started?.data).toMatchObject({ runId: current.workflowId, runbook: 'contextual', requestedBy: 'alice' });

  expect(await localActivityMarkers(current)).toBe((await localActivityMarkers(oldRun)) - 1);
  for (const handle of [current, oldRun]) {
    await expect(Worker.runReplayHistory({ workflowBundle: { codePath: currentBundle } }, await handle.fetchHistory(), handle.workflowId)).resolves.toBeUndefined();
  }
});
