import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger, type Logger } from '@temporalio/worker';
import { WORKFLOW_PRELOAD_MODULES } from '../temporal/workflowPreload';
import { compactWorkflowBundle } from './workflowBundleCompaction';

/**
 * The one way workflow code is bundled: by `npm run build:workflows` (scripts/buildWorkflowBundle.ts)
 * for production, by test/support/globalSetup.ts once per test run, and by the worker itself at
 * start-up when no prebuilt bundle is given (workers/createWorker.ts uses the same source below).
 * Bundling runs webpack in the worker's process: seconds of CPU and ~200 MB of RSS that stay behind,
 * which a prebuilt bundle (WORKFLOW_BUNDLE_PATH) avoids.
 */
export const WORKFLOW_BUNDLE_SOURCE = {
  workflowsPath: require.resolve('../workflows'),
  // zod and cel-js shared by all workflows (temporal/workflowPreload.ts).
  preloadModules: [...WORKFLOW_PRELOAD_MODULES],
} as const;

/**
 * The bundled workflow code (a self-contained script the Worker evaluates in its V8 context),
 * compacted for the worker's memory (workflowBundleCompaction.ts).
 */
export async function bundleWorkflows(logger: Logger = new DefaultLogger('ERROR')): Promise<string> {
  const { code } = await bundleWorkflowCode({ ...WORKFLOW_BUNDLE_SOURCE, preloadModules: [...WORKFLOW_BUNDLE_SOURCE.preloadModules], logger });
  return compactWorkflowBundle(code);
}

/** Bundles and writes the code to `outPath` (parent folders created); returns the absolute path. */
export async function writeWorkflowBundle(outPath: string, logger?: Logger): Promise<string> {
  const absolute = path.resolve(outPath);
  const code = await bundleWorkflows(logger);
  mkdirSync(path.dirname(absolute), { recursive: true });
  writeFileSync(absolute, code);
  return absolute;
}

export class WorkflowBundleMissingError extends Error {
  constructor(readonly codePath: string) {
    super(
      `WORKFLOW_BUNDLE_PATH=${codePath}: no such file. Build it with \`npm run build:workflows\` (writes dist/workflow-bundle.js), or unset WORKFLOW_BUNDLE_PATH to bundle at start-up.`,
    );
    this.name = 'WorkflowBundleMissingError';
  }
}

/**
 * The Worker.create `workflowBundle` for WORKFLOW_BUNDLE_PATH; undefined when unset (bundle at start).
 * Checked before the worker connects anywhere, so a missing file fails fast with a clear message
 * instead of an SDK error after the database and Temporal connections are open.
 */
export function prebuiltWorkflowBundle(codePath: string | undefined): { codePath: string } | undefined {
  if (!codePath) return undefined;
  const absolute = path.resolve(codePath);
  if (!existsSync(absolute)) throw new WorkflowBundleMissingError(absolute);
  return { codePath: absolute };
}
