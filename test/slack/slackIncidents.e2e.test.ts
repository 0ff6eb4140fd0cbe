import { ACTION, NOTE_VIEW } from '../../slack/blocks';
import type { FakeMessage } from './support/fakeSlack';
import { INCIDENTS, startSlackStack, TOKENS, USERS, type SlackStack } from './support/slackStack';

/** New incidents get a card in SLACK_INCIDENTS_CHANNEL; a note is added through the modal, as the mapped user. */
let stack: SlackStack;

beforeAll(async () => {
  stack = await startSlackStack('incidents');
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

test('an incident is posted with its buttons; a viewer cannot add a note; an operator adds one through the modal', async () => {
  const res = await stack.call('POST', '/api/v1/incidents', { token: TOKENS.operator, json: { title: 'checkout <!here> errors', severity: 'high', service: 'checkout' } });
  expect(res.status).toBe(202);
  const incidentId = res.body.incidentId as string;
  const card = await stack.waitFor('the incident card', () => stack.slack.inChannel(INCIDENTS).find((m) => m.text.includes(incidentId)));
  const note = await stack.waitFor('the note button', () => buttonOf(card, ACTION.incidentNote));
  expect(JSON.stringify(card.blocks)).not.toContain('<!here>');
  expect(card.text).not.toContain('<!here>');

  await stack.click(USERS.viewer, card, note);
  await stack.waitFor('the role refusal', () => stack.slack.ephemerals.find((e) => e.user === USERS.viewer && /need the role operator/.test(e.text)));
  expect(stack.slack.views).toHaveLength(0);

  await stack.click(USERS.a, card, note);
  const modal = await stack.waitFor('the note modal', () => stack.slack.views.find((v) => String(v.private_metadata).includes(incidentId)));
  expect(modal.callback_id).toBe(NOTE_VIEW.callbackId);
  expect(await stack.submitView(USERS.a, modal, { [NOTE_VIEW.block]: { [NOTE_VIEW.action]: 'rolled back the canary at 10:02' } })).toBe(200);
  await stack.waitFor('the note on the incident', async () =>
    (await stack.call('GET', `/api/v1/incidents/${incidentId}`, { token: TOKENS.viewer })).body.notes?.find(
      (n: { author: string; text: string }) => n.author === 'olga' && n.text.includes('canary'),
    ),
  );
  await stack.waitFor('the card update', () => JSON.stringify(card.blocks).includes('1 note(s)'));
  // The audit row is written after the note is added, so it may land after the card update.
  const rows = await stack.waitFor('the audit row', async () => {
    const found = (await stack.audit.list({ surface: 'slack', limit: 20 })).items.filter((r) => r.target === incidentId);
    return found.length > 0 && found;
  });
  expect(rows.map((r) => `${r.action}:${r.subject}:${r.outcome}`).sort()).toEqual(['incident.note:olga:ok']); // opening the modal changes nothing: a refusal there is not an action
});
