import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { bundleWorkflowsAt, withWorkflowBundle, type WorkflowsAtCommit } from '../support/workflowsAtCommit';
import { startChatStack, TOKENS, type ChatStack } from './support/chatStack';

/**
 * A chat turn runs its transcript writes and understanding as local activities
 * (`patched('chat-local-activities')`, workflows/chatTurn.ts): no task-queue round trip before the
 * answer. The answer stays a remote activity (it heartbeats while it streams). Sessions recorded by
 * the code before the patch (commit d54a303) replay under today's code.
 */
const BEFORE_LOCAL_ACTIVITIES = 'd54a3039689d65dafc7eca212e840f0a9ab46840';
const QUESTION = 'show me p95 latency for prometheus over the last 5 minutes';
const currentBundle = process.env.TEST_WORKFLOW_BUNDLE!;
let stack: ChatStack;
let oldStack: ChatStack;
let oldCode: WorkflowsAtCommit;

beforeAll(async () => {
  oldCode = await bundleWorkflowsAt(BEFORE_LOCAL_ACTIVITIES);
  stack = await startChatStack('chatlocal');
  oldStack = await withWorkflowBundle(oldCode.codePath, () => startChatStack('chatlocalold'));
}, 120_000);
afterAll(async () => {
  await stack?.close();
  await oldStack?.close();
  oldCode?.remove();
});

const EventType = temporal.api.enums.v1.EventType;

async function history(handle: WorkflowHandle) {
  const events = (await handle.fetchHistory()).events ?? [];
  return {
    remoteActivities: events.filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED).map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name),
    markers: events.filter((e) => e.eventType === EventType.EVENT_TYPE_MARKER_RECORDED).map((e) => e.markerRecordedEventAttributes?.markerName),
  };
}

test('a turn understands and records its transcript locally; only the answer is a remote activity; the history replays', async () => {
  const id = await stack.createSession(TOKENS.operator);
  const res = await stack.say(TOKENS.operator, id, QUESTION);
  expect(res.status).toBe(200);
  expect(res.body.reply.text).toContain('PromQL: histogram_quantile(0.95');
  const types = (await stack.events(id)).map((e) => e.type);
  expect(types).toEqual(expect.arrayContaining(['turn.started', 'turn.understood', 'reply.completed']));

  const handle = stack.backends.client.workflow.getHandle(`session-${id}`);
  // The assistant's transcript write follows reply.completed: wait for the turn's last command.
  await stack.waitForEvent(id, (e) => e.type === 'reply.completed');
  const deadline = Date.now() + 10_000;
  let seen = await history(handle);
  while (Date.now() < deadline && seen.markers.filter((m) => m === 'core_local_activity').length < 7) {
    await new Promise((r) => setTimeout(r, 100));
    seen = await history(handle);
  }
  expect(seen.remoteActivities).toEqual(['chatAnswer']);
  expect(seen.markers).toContain('core_patch');
  await expect(Worker.runReplayHistory({ workflowBundle: { codePath: currentBundle } }, await handle.fetchHistory(), handle.workflowId)).resolves.toBeUndefined();
});

test('a session recorded before the patch (understanding and transcript as remote activities) replays under the current code', async () => {
  const id = await oldStack.createSession(TOKENS.operator);
  expect((await oldStack.say(TOKENS.operator, id, QUESTION)).body.reply.text).toContain('PromQL: histogram_quantile(0.95');
  expect((await oldStack.say(TOKENS.operator, id, 'and the cpu of prometheus?')).status).toBe(200);
  const handle = oldStack.backends.client.workflow.getHandle(`session-${id}`);
  const deadline = Date.now() + 10_000;
  let seen = await history(handle);
  while (Date.now() < deadline && seen.remoteActivities.filter((a) => a === 'chatRecordTurn').length < 4) {
    await new Promise((r) => setTimeout(r, 100));
    seen = await history(handle);
  }
  // The old code really took the remote path this patch replaces.
  expect(seen.remoteActivities).toEqual(expect.arrayContaining(['chatRecordTurn', 'chatUnderstand', 'chatAnswer']));
  await expect(Worker.runReplayHistory({ workflowBundle: { codePath: currentBundle } }, await handle.fetchHistory(), handle.workflowId)).resolves.toBeUndefined();
});
