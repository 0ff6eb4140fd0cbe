import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { splitInlineSourceMap } from '../../workers/workflowBundleCompaction';
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

/**
 * webpack's module ids in the bundle: the keys of its module table, one a line after compaction
 * (workers/workflowBundleCompaction.ts reprints it): `"./chat/model/types.ts"(__unused_webpack_module, …) {` (or `module` first).
 * Project files are relative; requires of a module (`__webpack_require__("./x.ts")`) do not match.
 */
function bundledProjectFiles(code: string): string[] {
  return [...code.matchAll(/^\s*"\.\/([^"]+)"\((?:__unused_webpack_module|__unused_webpack___webpack_module__|module)\b/gm)]
    .map((m) => m[1]!)
    .filter((file) => !file.startsWith('node_modules/'));
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

/** The bundle's code and its inline source map (workers/workflowBundleCompaction.ts writes both). */
function split(bundle: string): { code: string; map: { sources: string[]; sourcesContent: (string | null)[] } } {
  const { code, sourceMap } = splitInlineSourceMap(bundle);
  return { code, map: JSON.parse(sourceMap) };
}

test('the compacted bundle: ASCII, no library sources in the map, and positions still map to the workflow sources', () => {
  const { code, map } = split(readFileSync(process.env.TEST_WORKFLOW_BUNDLE!, 'utf8'));
  expect(code).not.toMatch(/[^\p{ASCII}]/u);
  const library = map.sources.filter((source) => source.includes('/node_modules/'));
  expect(library.length).toBeGreaterThan(10);
  expect(map.sources.map((source, i) => (source.includes('/node_modules/') ? map.sourcesContent[i] : null)).filter((c) => c !== null)).toEqual([]);
  // Map the position of runbookRun's definition back through the chained map.
  const lines = code.split('\n');
  const line = lines.findIndex((l) => /async function runbookRun\(/.test(l));
  expect(line).toBeGreaterThan(0);
  const entry = new SourceMap(map as never).findEntry(line, lines[line]!.indexOf('runbookRun'));
  expect(entry).toMatchObject({ originalSource: expect.stringMatching(/workflows\/runbookRun\.ts$/) });
});
