import { execSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';

const repoRoot = path.resolve(__dirname, '../..');

/** The workflow code of an earlier commit, bundled; `remove()` deletes its checkout. */
export interface WorkflowsAtCommit {
  codePath: string;
  remove(): void;
}

/**
 * Bundles `workflows/` as it was at `commit`, so a test can record histories with the code from
 * before a `patched()` change on a real worker and replay them under today's code. The checkout
 * borrows today's node_modules: the SDK is the same, only the workflow code differs.
 */
export async function bundleWorkflowsAt(commit: string): Promise<WorkflowsAtCommit> {
  const tree = mkdtempSync(path.join(os.tmpdir(), `copilot-workflows-${commit.slice(0, 7)}-`));
  try {
    execSync(`git archive --format=tar ${commit} | tar -x -C ${JSON.stringify(tree)}`, { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] });
    symlinkSync(path.join(repoRoot, 'node_modules'), path.join(tree, 'node_modules'), 'dir');
    const { code } = await bundleWorkflowCode({ workflowsPath: path.join(tree, 'workflows', 'index.ts'), logger: new DefaultLogger('ERROR') });
    const codePath = path.join(tree, 'old-workflows.js');
    writeFileSync(codePath, code);
    return { codePath, remove: () => rmSync(tree, { recursive: true, force: true }) };
  } catch (err) {
    rmSync(tree, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Runs `start` with TEST_WORKFLOW_BUNDLE pointing at another bundle, for stacks that read the
 * bundle from the environment (test/chat/support/chatStack.ts), and puts it back afterwards.
 */
export async function withWorkflowBundle<T>(codePath: string, start: () => Promise<T>): Promise<T> {
  const current = process.env.TEST_WORKFLOW_BUNDLE;
  process.env.TEST_WORKFLOW_BUNDLE = codePath;
  try {
    return await start();
  } finally {
    if (current === undefined) delete process.env.TEST_WORKFLOW_BUNDLE;
    else process.env.TEST_WORKFLOW_BUNDLE = current;
  }
}
