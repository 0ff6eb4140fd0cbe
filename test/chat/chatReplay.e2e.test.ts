import { Worker } from '@temporalio/worker';
import { bundleWorkflowsAt, withWorkflowBundle, type WorkflowsAtCommit } from '../support/workflowsAtCommit';
import { RunbookDefinition } from '../../domain/runbook';
import { DEPLOY, startChatStack, TOKENS, type ChatStack } from './support/chatStack';

/**
 * Sessions recorded by the workflow code from before chat proposals (commit 4eed4db: incidents and
 * approvals acted at once) replay under today's code: the new command sequences sit behind
 * `patched('chat-propose-mutations')`. The old code is bundled from git, run on the real worker
 * against the real servers, and its histories are replayed with the current bundle.
 */
const BEFORE_PROPOSALS = '4eed4db4796cdb88ddf25bfed1cf5828e6548c3e';
let stack: ChatStack;
let oldCode: WorkflowsAtCommit;
const currentBundle = process.env.TEST_WORKFLOW_BUNDLE!;

beforeAll(async () => {
  oldCode = await bundleWorkflowsAt(BEFORE_PROPOSALS);
  // The stack's worker runs the old workflow code; activities are today's (they kept the old ones).
  stack = await withWorkflowBundle(oldCode.codePath, () => startChatStack('chatreplay', {}, { incidents: true }));
}, 120_000);
afterAll(async () => {
  await stack?.close();
  oldCode?.remove();
});

async function gatedDeploy(): Promise<string> {
  const started = await stack.backends.runs.startRun({
    runbook: RunbookDefinition.parse(DEPLOY),
    params: { service: 'orders', version: 'v7.0.0', environment: 'production' },
    requestedBy: { sub: 'olga', roles: ['operator'] },
  });
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if ((await stack.backends.runs.getState(started.runId)).approvals.some((a) => a.status === 'pending')) return started.runId;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the run never reached its gate');
}

test('an old session that opened, noted and resolved an incident at once replays under the current code', async () => {
  const id = await stack.createSession(TOKENS.operator);
  const opened = await stack.say(TOKENS.operator, id, 'open an incident for checkout, p95 latency is high');
  const incidentId = /Opened incident (inc-[0-9a-f-]+)/.exec(opened.body.reply.text)?.[1];
  expect(incidentId).toBeDefined();
  expect((await stack.say(TOKENS.operator, id, `add a note to ${incidentId}: rollback started`)).body.reply.text).toContain('Added your note');
  expect((await stack.say(TOKENS.operator, id, `resolve incident ${incidentId}`)).body.reply.text).toContain(`Resolved ${incidentId}`);
  const handle = stack.backends.client.workflow.getHandle(`session-${id}`);
  await expect(Worker.runReplayHistory({ workflowBundle: { codePath: currentBundle } }, await handle.fetchHistory(), handle.workflowId)).resolves.toBeUndefined();
});

test('an old session that approved a gate at once replays under the current code', async () => {
  const runId = await gatedDeploy();
  const id = await stack.createSession(TOKENS.approver);
  expect((await stack.say(TOKENS.approver, id, `approve ${runId}`)).body.reply.text).toContain(`Approved "approve" of deploy-service ${runId}`);
  const handle = stack.backends.client.workflow.getHandle(`session-${id}`);
  await expect(Worker.runReplayHistory({ workflowBundle: { codePath: currentBundle } }, await handle.fetchHistory(), handle.workflowId)).resolves.toBeUndefined();
});
