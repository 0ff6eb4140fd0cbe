import { ACTION } from '../../slack/blocks';
import { slackEventWorkflowId } from '../../slack/receiver';
import type { FakeMessage } from './support/fakeSlack';
import { APPROVALS, CHANNEL, startSlackStack, TOKENS, USERS, type SlackStack } from './support/slackStack';

/**
 * Slack as a surface of the same sessions and gates, end to end: signed requests into the real
 * Bolt receiver, real Temporal and Postgres, the FAKE Slack Web API (support/fakeSlack.ts).
 */
let stack: SlackStack;

beforeAll(async () => {
  stack = await startSlackStack('approvals');
}, 60_000);

afterAll(async () => {
  await stack?.close();
});

type Button = { action_id: string; value: string };

function buttonOf(m: FakeMessage, actionId: string): Button | undefined {
  for (const block of m.blocks as { type: string; elements?: { action_id?: string; value?: string }[] }[]) {
    const found = block.type === 'actions' ? block.elements?.find((e) => e.action_id === actionId) : undefined;
    if (found?.value) return { action_id: actionId, value: found.value };
  }
  return undefined;
}

const hasButtons = (m: FakeMessage) => (m.blocks as { type: string }[]).some((b) => b.type === 'actions');
const blockText = (m: FakeMessage) => JSON.stringify(m.blocks);

/** A mentions the bot with a production deploy, gets the proposal card and confirms it: the run's gate cards appear. */
async function deployAndConfirm(text: string): Promise<{ threadTs: string; runId: string; threadCard: FakeMessage; channelCard: FakeMessage }> {
  const { ts, status } = await stack.mention(USERS.a, text);
  expect(status).toBe(200);
  const proposal = await stack.waitFor('the proposal card', () => stack.slack.inThread(CHANNEL, ts).find((m) => buttonOf(m, ACTION.confirm)));
  expect(blockText(proposal)).toContain('deploy-service');
  expect(await stack.click(USERS.a, proposal, buttonOf(proposal, ACTION.confirm)!)).toBe(200);
  const threadCard = await stack.waitFor('the gate card in the thread', () => stack.slack.inThread(CHANNEL, ts).find((m) => buttonOf(m, ACTION.approve)));
  const runId = (JSON.parse(buttonOf(threadCard, ACTION.approve)!.value) as { runId: string }).runId;
  const channelCard = await stack.waitFor('the gate card in the approvals channel', () =>
    stack.slack.inChannel(APPROVALS).find((m) => buttonOf(m, ACTION.approve)?.value.includes(runId)),
  );
  // The confirmed card lost its buttons and says who confirmed it.
  expect(hasButtons(proposal)).toBe(false);
  expect(blockText(proposal)).toContain('Confirmed by olga');
  return { threadTs: ts, runId, threadCard, channelCard };
}

async function gateOf(runId: string) {
  return (await stack.backends.runs.getState(runId)).approvals.find((g) => g.gateId === 'approve')!;
}

test('A deploys and confirms, A (four-eyes), a viewer and a stranger are refused, B approves by button; the run completes and both cards show it', async () => {
  const { threadTs, runId, threadCard, channelCard } = await deployAndConfirm('deploy auth v2.3.1 to production');
  expect(blockText(channelCard)).toContain('olga');
  expect(blockText(channelCard)).toContain('four-eyes');
  const state = await stack.backends.runs.getState(runId);
  expect(state.requestedBy).toBe('olga');
  expect(state.params).toMatchObject({ service: 'auth', version: 'v2.3.1', environment: 'production' });

  // A's own click: four-eyes, answered ephemerally, nothing changes.
  await stack.click(USERS.a, channelCard, buttonOf(channelCard, ACTION.approve)!);
  await stack.waitFor('the four-eyes refusal', () => stack.slack.ephemerals.find((e) => e.user === USERS.a && /four-eyes/i.test(e.text)));
  // A viewer: not an approver.
  await stack.click(USERS.viewer, threadCard, buttonOf(threadCard, ACTION.approve)!);
  await stack.waitFor('the role refusal', () => stack.slack.ephemerals.find((e) => e.user === USERS.viewer && /needs the role approver/.test(e.text)));
  // Someone nobody mapped.
  await stack.click(USERS.stranger, threadCard, buttonOf(threadCard, ACTION.approve)!);
  await stack.waitFor('the not-mapped refusal', () => stack.slack.ephemerals.find((e) => e.user === USERS.stranger && /not mapped/.test(e.text)));
  const still = await gateOf(runId);
  expect(still.status).toBe('pending');
  expect(still.votes).toEqual([]);
  expect(hasButtons(channelCard)).toBe(true);

  // B approves from the approvals channel.
  await stack.click(USERS.b, channelCard, buttonOf(channelCard, ACTION.approve)!);
  const final = await stack.waitFor('the final status in the thread', () =>
    stack.slack.inThread(CHANNEL, threadTs).find((m) => /succeeded/.test(m.text) && m.text.includes(runId)),
  );
  expect(final.text).toContain('deploy-service');
  const gate = await gateOf(runId);
  expect(gate).toMatchObject({ status: 'approved', decidedBy: 'adam', via: 'slack' });
  for (const card of [threadCard, channelCard]) {
    await stack.waitFor('the card update', () => !hasButtons(card));
    expect(blockText(card)).toMatch(/Approved\* ?by \*adam\*|Approved by \*adam\*/);
    expect(blockText(card)).toContain('via slack');
  }
  // Progress in the thread, with links to the console and the Temporal UI.
  const progress = stack.slack.inThread(CHANNEL, threadTs).find((m) => blockText(m).includes('step `deploy` succeeded'));
  expect(progress).toBeDefined();
  expect(blockText(progress!)).toContain(`http://console.test/runs/${runId}`);
  expect(blockText(progress!)).toContain(`/workflows/${runId}`);
  // One audit row per decision and per refusal, surface slack.
  const rows = (await stack.audit.list({ surface: 'slack', limit: 50 })).items.filter((r) => r.target?.startsWith(runId));
  expect(rows.filter((r) => r.outcome === 'ok').map((r) => r.subject)).toEqual(['adam']);
  expect(
    rows
      .filter((r) => r.outcome === 'refused')
      .map((r) => r.subject)
      .sort(),
  ).toEqual(['olga', 'slack:USTRANGER', 'vera']);
});

test('a decision from the API updates the Slack cards too, and a late click says it is already decided', async () => {
  const { runId, threadCard, channelCard } = await deployAndConfirm('deploy billing v1.0.0 to production');
  const approve = buttonOf(channelCard, ACTION.approve)!;
  const res = await stack.call('POST', `/api/v1/runs/${runId}/approvals/approve`, { token: TOKENS.secondAdmin, json: { decision: 'reject', comment: 'not today' } });
  expect(res.status).toBe(200);
  for (const card of [threadCard, channelCard]) {
    await stack.waitFor('the card update after the API decision', () => !hasButtons(card));
    expect(blockText(card)).toContain('Rejected');
    expect(blockText(card)).toContain('alan');
  }
  await stack.click(USERS.b, channelCard, approve);
  await stack.waitFor('the already-decided answer', () => stack.slack.ephemerals.find((e) => e.user === USERS.b && e.text.includes('already rejected by alan')));
  expect((await gateOf(runId)).votes).toHaveLength(1);
});

test('a run started from the API is announced in the approvals channel; its requester cannot approve it from Slack (four-eyes across surfaces)', async () => {
  const res = await stack.call('POST', '/api/v1/runs', {
    token: TOKENS.operator,
    json: { runbook: 'deploy-service', params: { service: 'auth', version: 'v7.0.0', environment: 'production' } },
  });
  expect(res.status).toBe(202);
  const runId = res.body.runId as string;
  const card = await stack.waitFor('the gate card in the approvals channel', () =>
    stack.slack.inChannel(APPROVALS).find((m) => buttonOf(m, ACTION.approve)?.value.includes(runId)),
  );
  const approve = buttonOf(card, ACTION.approve)!;
  // olga asked through the API; as Slack user A she is still olga.
  await stack.click(USERS.a, card, approve);
  await stack.waitFor('the four-eyes refusal', () => stack.slack.ephemerals.find((e) => e.user === USERS.a && e.text.includes(runId) && /four-eyes/i.test(e.text)));
  expect((await gateOf(runId)).votes).toEqual([]);
  await stack.click(USERS.b, card, approve);
  await stack.waitFor('the card update', () => !hasButtons(card));
  expect(blockText(card)).toContain('adam');
  expect((await stack.backends.client.workflow.getHandle(runId).result()) as unknown).toBeDefined();
});

test('a resume with new params re-plans the gate: the cards carry the new digest and a click on the old one is refused as stale', async () => {
  const res = await stack.call('POST', '/api/v1/runs', {
    token: TOKENS.operator,
    json: { runbook: 'deploy-service', params: { service: 'auth', version: 'v8.0.0', environment: 'production' } },
  });
  const runId = res.body.runId as string;
  const card = await stack.waitFor('the gate card', () => stack.slack.inChannel(APPROVALS).find((m) => buttonOf(m, ACTION.approve)?.value.includes(runId)));
  const stale = buttonOf(card, ACTION.approve)!;
  const oldDigest = (JSON.parse(stale.value) as { digest: string }).digest;
  expect(oldDigest).toMatch(/^sha256:/);
  expect((await stack.call('POST', `/api/v1/runs/${runId}/pause`, { token: TOKENS.operator, json: { reason: 'wrong build' } })).status).toBe(200);
  const resumed = await stack.call('POST', `/api/v1/runs/${runId}/resume`, { token: TOKENS.operator, json: { params: { version: 'v8.0.1' } } });
  expect(resumed.status).toBe(200);
  const fresh = await stack.waitFor('the re-planned card', () => {
    const button = buttonOf(card, ACTION.approve);
    return button && !button.value.includes(oldDigest) ? button : undefined;
  });
  expect(blockText(card)).toContain('v8.0.1');
  // A click carrying the digest of the plan shown before is refused and decides nothing.
  await stack.click(USERS.b, card, stale);
  await stack.waitFor('the stale refusal', () => stack.slack.ephemerals.find((e) => e.user === USERS.b && /now shows plan/.test(e.text)));
  expect((await gateOf(runId)).votes).toEqual([]);
  await stack.click(USERS.b, card, fresh);
  await stack.waitFor('the card update', () => !hasButtons(card));
  expect((await gateOf(runId)).votes[0]).toMatchObject({ approver: 'adam', bound: true, digest: (await gateOf(runId)).digest });
});

test('an expired gate updates its card too, and a click on it says it expired', async () => {
  const res = await stack.call('POST', '/api/v1/runs', { token: TOKENS.operator, json: { runbook: 'quick-gate' } });
  expect(res.status).toBe(202);
  const runId = res.body.runId as string;
  const card = await stack.waitFor('the gate card', () => stack.slack.inChannel(APPROVALS).find((m) => buttonOf(m, ACTION.approve)?.value.includes(runId)));
  const approve = buttonOf(card, ACTION.approve)!;
  await stack.waitFor('the expired card', () => !hasButtons(card));
  expect(blockText(card)).toContain('Expired');
  await stack.click(USERS.b, card, approve);
  await stack.waitFor('the answer', () => stack.slack.ephemerals.find((e) => e.user === USERS.b && e.text.includes(runId) && /already expired/.test(e.text)));
  expect((await gateOf(runId)).votes).toEqual([]);
});

test('a forged signature or a stale timestamp is a 401 and starts nothing', async () => {
  const before = stack.slack.messages.length;
  const forged = await stack.event(
    { type: 'app_mention', user: USERS.a, text: '<@UBOT> deploy auth v9 to production', ts: '1.1', channel: CHANNEL },
    { secret: 'not-the-secret', eventId: 'EvFORGED1' },
  );
  expect(forged.status).toBe(401);
  const stale = await stack.event(
    { type: 'app_mention', user: USERS.a, text: '<@UBOT> deploy auth v9 to production', ts: '1.2', channel: CHANNEL },
    { timestamp: Math.floor(Date.now() / 1000) - 6 * 60, eventId: 'EvSTALE1' },
  );
  expect(stale.status).toBe(401);
  const unsigned = await fetch(`${stack.url}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"event_callback"}' });
  expect(unsigned.status).toBe(401);
  // The handler starts its workflow before answering, so a 401 that had started one would show now.
  for (const eventId of ['EvFORGED1', 'EvSTALE1']) {
    await expect(stack.backends.client.workflow.getHandle(slackEventWorkflowId(eventId)).describe()).rejects.toThrow(/not found/i);
  }
  expect(stack.slack.messages.length).toBe(before);
});

test('a retried delivery is one turn, and a double click is one decision and one card update', async () => {
  const ts = `${Math.floor(Date.now() / 1000)}.424242`;
  const event = { type: 'app_mention', user: USERS.b, text: '<@UBOT> what runbooks are there?', ts, channel: CHANNEL, event_ts: ts };
  const first = await stack.event(event, { eventId: 'EvRETRIED1' });
  const retry = await stack.event(event, { eventId: 'EvRETRIED1', retryNum: 1 });
  expect([first.status, retry.status]).toEqual([200, 200]);
  const reply = await stack.waitFor('the reply', () => stack.slack.inThread(CHANNEL, ts).find((m) => !m.text.includes('thinking')));
  expect(reply.text.length).toBeGreaterThan(0);
  await stack.backends.client.workflow.getHandle(slackEventWorkflowId('EvRETRIED1')).result();
  expect(stack.slack.inThread(CHANNEL, ts)).toHaveLength(1);

  const { runId, channelCard, threadCard } = await deployAndConfirm('deploy search v4.0.0 to production');
  const approve = buttonOf(channelCard, ACTION.approve)!;
  const clicks = await Promise.all([
    stack.click(USERS.b, channelCard, approve, { actionTs: '1700000001.000001' }),
    stack.click(USERS.b, channelCard, approve, { actionTs: '1700000001.000002' }),
  ]);
  expect(clicks).toEqual([200, 200]);
  await stack.waitFor('the card update', () => !hasButtons(channelCard) && !hasButtons(threadCard));
  await stack.backends.client.workflow.getHandle(`slack-run-${runId}`).result();
  const gate = await gateOf(runId);
  expect(gate.votes).toHaveLength(1);
  const decided = (await stack.backends.store.list(runId, 0, 1000)).filter((e) => e.type === 'approval.decided');
  expect(decided).toHaveLength(1);
  expect(channelCard.updates).toBe(1);
  expect(stack.slack.ephemerals.filter((e) => e.user === USERS.b && e.text.includes(runId))).toEqual([]);
});

test('Slack answering 429 (Retry-After) then 200 still posts exactly one message', async () => {
  stack.slack.rateLimit('chat.postMessage', 1, 1);
  const { ts } = await stack.mention(USERS.viewer, 'what runbooks are there?');
  const reply = await stack.waitFor('the reply after the rate limit', () => stack.slack.inThread(CHANNEL, ts).find((m) => !m.text.includes('thinking')));
  expect(reply).toBeDefined();
  expect(stack.slack.calls.some((c) => c.method === 'chat.postMessage' && c.status === 429)).toBe(true);
  expect(stack.slack.inThread(CHANNEL, ts)).toHaveLength(1);
});

test('the API restarting between the request and the decision loses nothing; /copilot status and approve work', async () => {
  const { threadTs, runId, channelCard } = await deployAndConfirm('deploy cart v2.0.0 to production');
  await stack.restartApi();
  expect(await stack.command(USERS.viewer, `status ${runId}`, { responseId: 'status-1' })).toBe(200);
  const status = await stack.waitFor('the status answer', () => stack.slack.responses.find((r) => r.id === 'status-1'));
  expect(String(status.body.text)).toContain('waiting_approval');
  expect(status.body.response_type).toBe('ephemeral');
  expect(await stack.command(USERS.b, `approve ${runId}`)).toBe(200);
  await stack.waitFor('the final status in the thread', () => stack.slack.inThread(CHANNEL, threadTs).find((m) => /succeeded/.test(m.text)));
  await stack.waitFor('the card update', () => !hasButtons(channelCard));
  expect(await gateOf(runId)).toMatchObject({ status: 'approved', decidedBy: 'adam', via: 'slack' });
});

test('admins map Slack users through the API; SLACK_USERS entries cannot be overridden; others get 403', async () => {
  expect((await stack.call('GET', '/api/v1/slack/users', { token: TOKENS.operator })).status).toBe(403);
  const put = await stack.call('PUT', '/api/v1/slack/users/UCAROL', { token: TOKENS.admin, json: { subject: 'carol', roles: ['approver'] } });
  expect(put.status).toBe(201);
  expect(put.body).toMatchObject({ slackUserId: 'UCAROL', subject: 'carol', roles: ['approver'], updatedBy: 'ada' });
  const configured = await stack.call('PUT', `/api/v1/slack/users/${USERS.a}`, { token: TOKENS.admin, json: { subject: 'olga', roles: ['admin'] } });
  expect(configured.status).toBe(409);
  const bad = await stack.call('PUT', '/api/v1/slack/users/nope', { token: TOKENS.admin, json: { subject: 'x', roles: ['root'] } });
  expect(bad.status).toBe(400);
  const list = await stack.call('GET', '/api/v1/slack/users', { token: TOKENS.admin });
  expect(list.body.items.map((u: { slackUserId: string; source: string }) => `${u.slackUserId}:${u.source}`)).toEqual(
    expect.arrayContaining(['UCAROL:table', `${USERS.a}:config`]),
  );

  // Carol, mapped by the table, approves by button.
  const { runId, channelCard } = await deployAndConfirm('deploy ledger v3.1.0 to production');
  await stack.click('UCAROL', channelCard, buttonOf(channelCard, ACTION.approve)!);
  await stack.waitFor('the card update', () => !hasButtons(channelCard));
  expect(await gateOf(runId)).toMatchObject({ status: 'approved', decidedBy: 'carol' });
  expect((await stack.call('DELETE', '/api/v1/slack/users/UCAROL', { token: TOKENS.admin })).status).toBe(204);
  expect((await stack.call('DELETE', '/api/v1/slack/users/UCAROL', { token: TOKENS.admin })).status).toBe(404);
});
