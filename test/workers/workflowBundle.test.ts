import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../config/env';
import { prebuiltWorkflowBundle, writeWorkflowBundle } from '../../workers/workflowBundle';
import { startFakeTarget, type FakeTarget } from '../support/fakeDeployTarget';
import { createWorkflowHarness, resultOf, type WorkflowHarness } from '../support/workflowHarness';

/**
 * The prebuilt bundle production runs (`npm run build:workflows` → WORKFLOW_BUNDLE_PATH): written by the
 * shared bundle function to a fresh path (not globalSetup's file), it is what a real worker executes.
 */
let dir: string;
let bundlePath: string;
let h: WorkflowHarness;
let target: FakeTarget;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'copilot-prebuilt-'));
  // A nested folder, as dist/ may not exist before the first build.
  bundlePath = await writeWorkflowBundle(path.join(dir, 'dist', 'workflow-bundle.js'));
  target = await startFakeTarget();
  const bundle = prebuiltWorkflowBundle(loadConfig({ WORKFLOW_BUNDLE_PATH: bundlePath }).WORKFLOW_BUNDLE_PATH);
  h = await createWorkflowHarness({ workflowBundle: bundle!, config: { runbookEnv: { DEPLOY_API_URL: '' } } });
}, 60_000);
afterAll(async () => {
  await h?.close();
  await target?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('writeWorkflowBundle writes a bundle a worker started from WORKFLOW_BUNDLE_PATH runs', async () => {
  expect(statSync(bundlePath).size).toBeGreaterThan(0);
  expect(process.env.TEST_WORKFLOW_BUNDLE).not.toBe(bundlePath);
  const handle = await h.start({
    name: 'prebuilt-bundle',
    steps: [{ id: 'call', type: 'http', request: { method: 'POST', url: `${target.url}/prebuilt`, json: { ok: true } } }],
  });
  const state = await resultOf(handle);
  expect(state.status).toBe('succeeded');
  expect(state.steps[0]).toMatchObject({ id: 'call', status: 'succeeded' });
  expect(target.calls('/prebuilt')).toHaveLength(1);
});
