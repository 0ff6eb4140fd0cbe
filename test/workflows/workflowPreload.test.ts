import { readFileSync } from 'node:fs';
import vm from 'node:vm';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { RUN_FAILURE } from '../../domain/failureTypes';
import type { ApprovalState, RunState } from '../../domain/runState';
import { WORKFLOW_STACK_TRACE_LIMIT } from '../../workflows/workflowStackTraces';
import { createWorkflowHarness, resultOf, type WorkflowHarness } from '../support/workflowHarness';

/**
 * The worker preloads zod and cel-js once into its reusable V8 context (temporal/workflowPreload.ts)
 * instead of evaluating them for every workflow. The test bundle is built the way the worker builds
 * its own (test/support/globalSetup.ts), so every workflow test runs on the shared modules; these
 * tests check that the sharing really happens and that zod's and CEL's lazily initialised paths
 * (default locale, error messages, compiled parsers, expression caches) work on the frozen copies.
 */
let h: WorkflowHarness;

beforeAll(async () => {
  h = await createWorkflowHarness();
});
afterAll(async () => {
  await h?.close();
});

/**
 * Evaluates the bundle as the SDK's reusable context does: modules required while preloading go to a
 * shared cache, each workflow gets its own cache for everything else. Returns the module ids one
 * workflow evaluates for itself.
 */
function modulesEvaluatedPerWorkflow(code: string): string[] {
  const shared = new Map<string | symbol, unknown>();
  const own = new Map<string | symbol, unknown>();
  let preloading = true;
  const cache = new Proxy(
    {},
    {
      get: (_, id) => shared.get(id) ?? own.get(id),
      set: (_, id, value) => {
        (preloading ? shared : own).set(id, value);
        return true;
      },
    },
  );
  const context = vm.createContext({ TextEncoder, TextDecoder, URL, AbortController, structuredClone, console });
  Object.defineProperty(context, '__webpack_module_cache__', { value: cache });
  new vm.Script(code).runInContext(context);
  vm.runInContext('__TEMPORAL__.preloadModules()', context);
  preloading = false;
  vm.runInContext('__TEMPORAL__.importWorkflows()', context);
  return [...own.keys()].map(String);
}

test('stack traces in workflow code keep WORKFLOW_STACK_TRACE_LIMIT frames, still mapped to the workflow sources', async () => {
  const handle = await h.start({ name: 'parked-for-stacks', steps: [{ id: 'gate', type: 'approval' }] });
  await h.waitForEvent(handle.workflowId, (e) => e.type === 'approval.requested');
  try {
    const stacks = (await handle.query<string>('__stack_trace')).split('\n\n').filter((s) => s.trim() !== '');
    expect(stacks.length).toBeGreaterThan(0);
    const frames = stacks.map((s) => s.split('\n').filter((line) => /^\s+at /.test(line)));
    // The SDK drops its own hook's frame; V8's default (10) would leave 9 here.
    expect(Math.max(...frames.map((f) => f.length))).toBe(WORKFLOW_STACK_TRACE_LIMIT - 1);
    expect(stacks.join('\n')).toMatch(/workflows\/(approvalGate|runbookRun)\.ts:\d+:\d+/);
  } finally {
    await handle.cancel();
  }
});

test('a workflow evaluates no zod or cel-js module of its own: they come from the preloaded, shared cache', () => {
  const perWorkflow = modulesEvaluatedPerWorkflow(readFileSync(process.env.TEST_WORKFLOW_BUNDLE!, 'utf8'));
  // The workflow's own modules are there (the harness really ran the workflows' imports)…
  expect(perWorkflow).toEqual(expect.arrayContaining([expect.stringMatching(/workflows\/runbookRun\.ts$/), expect.stringMatching(/domain\/cel\.ts$/)]));
  // …but not the packages: a misnamed preload (zod's CommonJS build, a dropped require) would list them here.
  expect(perWorkflow.filter((id) => /node_modules\/(zod|@marcbachmann\/cel-js)\//.test(id))).toEqual([]);
});

test('runs on the shared modules validate with zod (messages included) and evaluate CEL, and replay', async () => {
  const handle = await h.start(
    {
      name: 'preloaded',
      params: { n: { type: 'integer', default: 2 } },
      steps: [
        { id: 'gate', type: 'approval', approvers: { roles: ['approver'], count: 1 }, message: 'n + 1 is ${{ params.n + 1 }}' },
        { id: 'big', needs: ['gate'], type: 'wait', duration: '1ms', when: 'params.n > 1' },
        { id: 'huge', needs: ['big'], type: 'wait', duration: '1ms', when: 'params.n > 5' },
      ],
    },
    { n: 2 },
  );
  await h.waitForEvent(handle.workflowId, (e) => e.type === 'approval.requested');
  const decide = (decision: string) =>
    handle.executeUpdate<ApprovalState, [Record<string, unknown>]>('decideApproval', {
      args: [{ gateId: 'gate', decision, approver: 'bob', approverRoles: ['approver'], via: 'api' }],
    });
  // A refused decision goes through zod's error path (issues, localised message) inside the workflow.
  const refused = await decide('maybe').then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (refused as WorkflowUpdateFailedError).cause as { type?: string; message: string };
  expect(cause.type).toBe(RUN_FAILURE.invalidDecision);
  expect(cause.message).toMatch(/decision.*"approve"\|"reject"/);
  expect((await decide('approve')).status).toBe('approved');

  const state: RunState = await resultOf(handle);
  expect(state.status).toBe('succeeded');
  expect(state.approvals[0]?.message).toBe('n + 1 is 3');
  expect(state.steps.map((s) => [s.id, s.status])).toEqual([
    ['gate', 'succeeded'],
    ['big', 'succeeded'],
    ['huge', 'skipped'],
  ]);
  await Worker.runReplayHistory({ workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! } }, await handle.fetchHistory(), handle.workflowId);
});
