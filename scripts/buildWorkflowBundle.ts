import { writeWorkflowBundle } from '../workers/workflowBundle';

/**
 * `npm run build:workflows [outPath]`: bundles workflows/ once, at build time, so the production worker
 * (WORKFLOW_BUNDLE_PATH) does not run webpack at every start. Default output: dist/workflow-bundle.js.
 */
async function main(): Promise<void> {
  const outPath = process.argv[2] ?? 'dist/workflow-bundle.js';
  const written = await writeWorkflowBundle(outPath);
  console.log(`workflow bundle written to ${written}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
