import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../config/env';
import { prebuiltWorkflowBundle, WorkflowBundleMissingError } from '../../workers/workflowBundle';

/** WORKFLOW_BUNDLE_PATH: parsed by loadConfig, checked by prebuiltWorkflowBundle before the worker starts. */
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'copilot-bundle-path-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('unset: no prebuilt bundle, the worker bundles at start-up', () => {
  expect(loadConfig({}).WORKFLOW_BUNDLE_PATH).toBeUndefined();
  expect(prebuiltWorkflowBundle(loadConfig({}).WORKFLOW_BUNDLE_PATH)).toBeUndefined();
});

test('an empty value means unset, as for every variable (loadConfig drops empty strings)', () => {
  expect(loadConfig({ WORKFLOW_BUNDLE_PATH: '' }).WORKFLOW_BUNDLE_PATH).toBeUndefined();
});

test('the path is kept as given, unresolved, until the worker checks it', () => {
  expect(loadConfig({ WORKFLOW_BUNDLE_PATH: 'dist/workflow-bundle.js' }).WORKFLOW_BUNDLE_PATH).toBe('dist/workflow-bundle.js');
});

test('an existing file becomes the absolute codePath Worker.create loads', () => {
  const file = path.join(dir, 'workflow-bundle.js');
  writeFileSync(file, '// bundle');
  const relative = path.relative(process.cwd(), file);
  expect(prebuiltWorkflowBundle(loadConfig({ WORKFLOW_BUNDLE_PATH: relative }).WORKFLOW_BUNDLE_PATH)).toEqual({ codePath: file });
});

test('a missing file refuses to start, naming the path and the build command', () => {
  const missing = path.join(dir, 'nope.js');
  let error: unknown;
  try {
    prebuiltWorkflowBundle(missing);
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(WorkflowBundleMissingError);
  expect((error as Error).message).toContain(missing);
  expect((error as Error).message).toContain('npm run build:workflows');
});
