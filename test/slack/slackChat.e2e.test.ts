import { ACTION } from '../../slack/blocks';
import { slackEventWorkflowId } from '../../slack/receiver';
import type { FakeMessage } from './support/fakeSlack';
import { CHANNEL, startSlackStack, USERS, type SlackStack } from './support/slackStack';

/** Chat from Slack: DMs, thread replies that continue a session, who may confirm or cancel a proposal. */
let stack: SlackStack;

beforeAll(async () => {
  stack = await startSlackStack('chat');
}, 60_000);

afterAll(async () => {
  await stack?.close();
});

function buttonOf(m: FakeMessage, actionId: string): { action_id: string; value: string } | undefined {
  for (const block of m.blocks as { type: string; elements?: { action_id?: string; value?: string }[] }[]) {
    const found = block.type === 'actions' ? block.elements?.find((e) => e.action_id === actionId) : undefined;
    if (found?.value) return { action_id: actionId, value: found.value };
  }
  return undefined;
}

const answered = (m: FakeMessage) => !m.text.includes('thinking');

async function sessionCount(): Promise<number> {
  const rows = await stack.backends.db.query<{ n: number }>('select count(distinct session_id)::int as n from slack_threads');
  return rows[0]!.n;
}

test('a DM is one session per user, answered in the DM', async () => {
  const dm = 'D0ALICE';
  for (const [i, text] of ['what runbooks are there?', 'and what can you do?'].entries()) {
    const ts = `${Math.floor(Date.now() / 1000)}.00010${i}`;
    const res = await stack.event({ type: 'message', channel_type: 'im', channel: dm, user: USERS.a, text, ts, event_ts: ts }, { eventId: `EvDM${i}` });
    expect(res.status).toBe(200);
    await stack.waitFor('the DM answer', () => stack.slack.messages.filter((m) => m.channel === dm && answered(m)).length === i + 1);
  }
  const replies = stack.slack.messages.filter((m) => m.channel === dm);
  expect(replies.every((m) => m.threadTs === undefined)).toBe(true);
  const threads = await stack.backends.db.query<{ session_id: string }>("select session_id from slack_threads where thread_key = 'dm:UALICE'");
  expect(threads).toHaveLength(1);
  const history = await stack.backends.store.list(`session-${threads[0]!.session_id}`, 0, 1000);
  expect(history.filter((e) => e.type === 'turn.started').map((e) => e.data.by)).toEqual(['olga', 'olga']);
});

test("a plain reply in the thread continues that user's session; someone else's plain reply is not for the bot", async () => {
  const { ts } = await stack.mention(USERS.b, 'what runbooks are there?');
  await stack.waitFor('the first answer', () => stack.slack.inThread(CHANNEL, ts).find(answered));
  const before = await sessionCount();
  const replyTs = `${Math.floor(Date.now() / 1000)}.777001`;
  await stack.event(
    { type: 'message', channel_type: 'channel', channel: CHANNEL, user: USERS.b, text: 'and which of them need approval?', ts: replyTs, thread_ts: ts },
    { eventId: 'EvTHREAD1' },
  );
  await stack.waitFor('the second answer in the same thread', () => stack.slack.inThread(CHANNEL, ts).filter(answered).length === 2);
  expect(await sessionCount()).toBe(before);

  const otherTs = `${Math.floor(Date.now() / 1000)}.777002`;
  await stack.event({ type: 'message', channel_type: 'channel', channel: CHANNEL, user: USERS.viewer, text: 'thanks!', ts: otherTs, thread_ts: ts }, { eventId: 'EvTHREAD2' });
  await stack.backends.client.workflow.getHandle(slackEventWorkflowId('EvTHREAD2')).result();
  expect(stack.slack.inThread(CHANNEL, ts)).toHaveLength(2);
  // A top-level channel message without a mention starts nothing at all.
  await stack.event(
    { type: 'message', channel_type: 'channel', channel: CHANNEL, user: USERS.viewer, text: 'deploy auth v1 to production', ts: `${Math.floor(Date.now() / 1000)}.777003` },
    { eventId: 'EvPLAIN1' },
  );
  await expect(stack.backends.client.workflow.getHandle(slackEventWorkflowId('EvPLAIN1')).describe()).rejects.toThrow(/not found/i);
});

test('only the proposer may confirm; Cancel by the proposer drops the proposal and starts nothing', async () => {
  const { ts } = await stack.mention(USERS.a, 'deploy orders v5.5.5 to production');
  const card = await stack.waitFor('the proposal card', () => stack.slack.inThread(CHANNEL, ts).find((m) => buttonOf(m, ACTION.confirm)));
  await stack.click(USERS.b, card, buttonOf(card, ACTION.confirm)!);
  await stack.waitFor('the refusal', () => stack.slack.ephemerals.find((e) => e.user === USERS.b && /Only the person who asked/.test(e.text)));
  expect(buttonOf(card, ACTION.confirm)).toBeDefined();

  const confirm = buttonOf(card, ACTION.confirm)!;
  await stack.click(USERS.a, card, buttonOf(card, ACTION.cancel)!);
  await stack.waitFor('the cancelled card', () => !buttonOf(card, ACTION.confirm) && JSON.stringify(card.blocks).includes('Cancelled by olga'));
  await stack.waitFor('the chat\'s answer to "no"', () => stack.slack.inThread(CHANNEL, ts).filter(answered).length >= 2);
  // A Confirm from the card as it was (an old client): nothing is open any more.
  await stack.click(USERS.a, card, confirm);
  await stack.waitFor('the no-longer-open answer', () => stack.slack.ephemerals.find((e) => e.user === USERS.a && /no longer open/.test(e.text)));
  const started = await stack.backends.db.query("select count(*)::int as n from run_events where type = 'run.started'");
  expect(started).toEqual([{ n: 0 }]);
});
