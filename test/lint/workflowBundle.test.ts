import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The determinism lint covers the files scripts/workflowBundleFiles.js derives from the imports;
 * this checks that derivation against the real bundle built by globalSetup (the same
 * bundleWorkflowCode call the worker makes): every project module in the bundle must be in the list,
 * or a bundled file could import I/O without the lint noticing.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { workflowBundleFiles } = require('../../scripts/workflowBundleFiles') as { workflowBundleFiles(root: string): string[] };

const root = path.resolve(__dirname, '../..');

/** webpack's module ids in the bundle, one a line: `/***\/ "./chat/model/types.ts"` (project files are relative). */
function bundledProjectFiles(code: string): string[] {
  return [...code.matchAll(/^\/\*\*\*\/ "\.\/([^"]+)"/gm)].map((m) => m[1]!).filter((file) => !file.startsWith('node_modules/'));
}

test('every project file in the workflow bundle is linted as workflow code', () => {
  const bundled = bundledProjectFiles(readFileSync(process.env.TEST_WORKFLOW_BUNDLE!, 'utf8'));
  // The module ids were found at all (a changed bundle format must fail here, not pass vacuously).
  expect(bundled).toEqual(expect.arrayContaining(['workflows/index.ts', 'workflows/runbookRun.ts', 'domain/cel.ts']));
  const linted = workflowBundleFiles(root);
  expect(bundled.filter((file) => !linted.includes(file))).toEqual([]);
});

test('the derived list reaches past workflows/ and skips type-only imports', () => {
  const linted = workflowBundleFiles(root);
  // chat/model/types.ts is imported at run time by the chat workflows; domain/runState.ts only as types.
  expect(linted).toEqual(expect.arrayContaining(['workflows/index.ts', 'chat/model/types.ts', 'domain/approval.ts']));
  expect(linted).not.toContain('domain/runState.ts');
  expect(linted.filter((file) => /^(activities|api|db|workers)\//.test(file))).toEqual([]);
});
