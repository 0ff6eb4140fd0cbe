import { ACTION } from '../../slack/blocks';
import { startFakeLoki, type FakeLoki } from '../incidents/support/fakeLoki';
import { startFakeTempo, type FakeTempo } from '../incidents/support/fakeTempo';
import { logsFor, recordPaymentsDeploys, tracesFor } from '../incidents/support/scenarioData';
import type { FakeMessage } from './support/fakeSlack';
import { APPROVALS, INCIDENTS, SLACK_USERS, startSlackStack, TOKENS, USERS, type SlackStack } from './support/slackStack';

/**
 * The hypothesis and remediation buttons of an incident card, end to end: the investigation has
 * backends (fake Loki and Tempo from the incident tests' scenario, where `payments` breaks right
 * after a deploy), so it forms a leading hypothesis and proposes a rollback. Signed clicks into the
 * real receiver, real Temporal and Postgres, the FAKE Slack Web API.
 */
let stack: SlackStack;
let loki: FakeLoki;
let tempo: FakeTempo;
const pivot = new Date(Date.now() - 2 * 60_000);
/** An on-call who is operator AND approver: only the four-eyes rule keeps them from approving their own remediation. */
const ONCALL = 'UOTTO';

beforeAll(async () => {
  loki = await startFakeLoki(logsFor('payments', 'search', pivot));
  tempo = await startFakeTempo(tracesFor('payments', 'gateway', pivot));
  stack = await startSlackStack('incident_actions', {
    SLACK_USERS: `${SLACK_USERS},${ONCALL}=otto:operator+approver`,
    PROMETHEUS_URL: process.env.TEST_PROMETHEUS_URL!,
    LOKI_URL: loki.url,
    TEMPO_URL: tempo.url,
    INCIDENT_RATE_WINDOW: '10s',
  });
  await recordPaymentsDeploys(stack.backends, pivot);
}, 60_000);

afterAll(async () => {
  await stack?.close();
  await loki?.close();
  await tempo?.close();
});

type Button = { action_id: string; value: string };

function buttonOf(m: FakeMessage, actionId: string): Button | undefined {
  for (const block of m.blocks as { type: string; elements?: { action_id?: string; value?: string }[] }[]) {
    const found = block.type === 'actions' ? block.elements?.find((e) => e.action_id === actionId) : undefined;
    if (found?.value) return { action_id: actionId, value: found.value };
  }
  return undefined;
}

const blockText = (m: FakeMessage) => JSON.stringify(m.blocks);

interface HypothesisView {
  id: string;
  service: string;
  feedback?: string;
  feedbackBy?: string;
}

/** Opens an incident through the API and waits until its card shows a leading hypothesis with its buttons. */
async function incidentWithHypothesis(title: string): Promise<{ incidentId: string; card: FakeMessage }> {
  const res = await stack.call('POST', '/api/v1/incidents', { token: TOKENS.operator, json: { title, severity: 'high', service: 'payments' } });
  expect(res.status).toBe(202);
  const incidentId = res.body.incidentId as string;
  const card = await stack.waitFor('the incident card', () => stack.slack.inChannel(INCIDENTS).find((m) => m.text.includes(incidentId)));
  await stack.waitFor('the leading hypothesis on the card', () => /Leading hypothesis[^"]*payments/.test(blockText(card)) && buttonOf(card, ACTION.incidentConfirm), 60_000);
  return { incidentId, card };
}

async function hypothesesOf(incidentId: string): Promise<HypothesisView[]> {
  return (await stack.call('GET', `/api/v1/incidents/${incidentId}`, { token: TOKENS.viewer })).body.hypotheses as HypothesisView[];
}

async function slackAudit(incidentId: string): Promise<string[]> {
  return (await stack.audit.list({ surface: 'slack', limit: 50 })).items.filter((r) => r.target === incidentId).map((r) => `${r.action}:${r.subject}:${r.outcome}`);
}

test('confirm hypothesis: a viewer is refused; an operator confirms, it is feedback on the incident and the card says so', async () => {
  const { incidentId, card } = await incidentWithHypothesis('Checkout failing');
  const confirm = buttonOf(card, ACTION.incidentConfirm)!;
  const hypothesisId = (JSON.parse(confirm.value) as { hypothesisId: string }).hypothesisId;
  expect(hypothesisId).toBe('h-payments');

  await stack.click(USERS.viewer, card, confirm);
  await stack.waitFor('the role refusal', () => stack.slack.ephemerals.find((e) => e.user === USERS.viewer && /need the role operator/.test(e.text)));
  expect((await hypothesesOf(incidentId)).find((h) => h.id === hypothesisId)?.feedback).toBeUndefined();

  expect(await stack.click(USERS.a, card, confirm)).toBe(200);
  const confirmed = await stack.waitFor('the feedback on the incident', async () => (await hypothesesOf(incidentId)).find((h) => h.id === hypothesisId && h.feedback));
  expect(confirmed).toMatchObject({ feedback: 'confirmed', feedbackBy: 'olga' });
  // The workflow state answers before its incident.feedback event is stored: wait for the event.
  const feedbackEvents = async () =>
    (await stack.backends.db.query<{ n: number }>(`select count(*)::int as n from run_events where stream_id = $1 and type = 'incident.feedback'`, [incidentId]))[0]!.n;
  await stack.waitFor('the incident.feedback event', async () => (await feedbackEvents()) > 0);
  // The card shows who confirmed it and no longer offers confirm / reject.
  await stack.waitFor('the card update', () => /confirmed by olga/.test(blockText(card)) && !buttonOf(card, ACTION.incidentConfirm));
  expect(buttonOf(card, ACTION.incidentReject)).toBeUndefined();
  await stack.waitFor('both audit rows', async () => (await slackAudit(incidentId)).length >= 2);
  expect((await slackAudit(incidentId)).sort()).toEqual(['incident.feedback:olga:ok', 'incident.feedback:vera:refused']);
  expect(await feedbackEvents()).toBe(1);
}, 120_000);

test('reject hypothesis: recorded as feedback on the incident; the rejected one no longer leads the card', async () => {
  const { incidentId, card } = await incidentWithHypothesis('Checkout failing again');
  const reject = buttonOf(card, ACTION.incidentReject)!;
  const hypothesisId = (JSON.parse(reject.value) as { hypothesisId: string }).hypothesisId;
  expect(await stack.click(USERS.a, card, reject)).toBe(200);
  const rejected = await stack.waitFor('the feedback on the incident', async () => (await hypothesesOf(incidentId)).find((h) => h.id === hypothesisId && h.feedback));
  expect(rejected).toMatchObject({ feedback: 'rejected', feedbackBy: 'olga' });
  await stack.waitFor('the card update', () => {
    const shown = blockText(card);
    const stillOffered = [ACTION.incidentConfirm, ACTION.incidentReject].some((a) => buttonOf(card, a)?.value.includes(`"${hypothesisId}"`));
    return !stillOffered && !/Leading hypothesis[^"]*rejected by/.test(shown);
  });
  await stack.waitFor('the audit row', async () => (await slackAudit(incidentId)).length > 0);
  expect(await slackAudit(incidentId)).toEqual(['incident.feedback:olga:ok']);
}, 120_000);

test('propose remediation: the run starts as the clicker and waits at its gate; the clicker cannot approve it (four-eyes), another approver does; the card updates', async () => {
  const { incidentId, card } = await incidentWithHypothesis('Payments errors');
  const remediate = await stack.waitFor('the rollback button', () => buttonOf(card, `${ACTION.incidentRemediate}_rollback-payments`));
  expect(blockText(card)).toContain('Remediate: deploy-service');

  expect(await stack.click(ONCALL, card, remediate)).toBe(200);
  const action = await stack.waitFor('the remediation on the incident', async () =>
    ((await stack.call('GET', `/api/v1/incidents/${incidentId}`, { token: TOKENS.viewer })).body.actions as { id: string; runId?: string; startedBy?: string }[]).find(
      (a) => a.id === 'rollback-payments' && a.runId,
    ),
  );
  expect(action.startedBy).toBe('otto');
  const runId = action.runId!;
  const run = await stack.backends.runs.getState(runId);
  expect(run).toMatchObject({ runbook: 'deploy-service', requestedBy: 'otto', params: { service: 'payments', version: 'v1', environment: 'production' } });
  await stack.waitFor('the gate', async () => (await stack.backends.runs.getState(runId)).status === 'waiting_approval');

  // The card: the run is listed as started by otto and its button is gone.
  await stack.waitFor('the card update', () => blockText(card).includes(runId) && /started by otto/.test(blockText(card)));
  expect(buttonOf(card, `${ACTION.incidentRemediate}_rollback-payments`)).toBeUndefined();

  // A repeated click (a stale card) lands on the same run.
  await stack.click(ONCALL, card, remediate);
  // The gate card is posted in the incident card's thread and in the approvals channel.
  const threadCard = await stack.waitFor('the gate card in the incident thread', () =>
    stack.slack.inThread(INCIDENTS, card.ts).find((m) => buttonOf(m, ACTION.approve)?.value.includes(runId)),
  );
  const channelCard = await stack.waitFor('the gate card in the approvals channel', () =>
    stack.slack.inChannel(APPROVALS).find((m) => buttonOf(m, ACTION.approve)?.value.includes(runId)),
  );

  // The proposer holds the approver role, yet cannot approve their own remediation.
  await stack.click(ONCALL, channelCard, buttonOf(channelCard, ACTION.approve)!);
  await stack.waitFor('the four-eyes refusal', () => stack.slack.ephemerals.find((e) => e.user === ONCALL && /four-eyes/i.test(e.text)));
  const gate = (await stack.backends.runs.getState(runId)).approvals.find((g) => g.gateId === 'approve')!;
  expect(gate.status).toBe('pending');
  expect(gate.votes).toEqual([]);

  await stack.click(USERS.b, threadCard, buttonOf(threadCard, ACTION.approve)!);
  await stack.waitFor('the run to succeed', async () => (await stack.backends.runs.getState(runId)).status === 'succeeded');
  await stack.waitFor('the final line in the incident thread', () => stack.slack.inThread(INCIDENTS, card.ts).find((m) => /succeeded/.test(m.text) && m.text.includes(runId)));
  await stack.waitFor('the gate cards decided', () =>
    [threadCard, channelCard].every((m) => !buttonOf(m, ACTION.approve) && /Approved\* ?by \*adam\*|Approved by \*adam\*/.test(blockText(m))),
  );

  await stack.waitFor('both audit rows', async () => (await slackAudit(incidentId)).length >= 2);
  expect(await slackAudit(incidentId)).toEqual(['incident.remediate:otto:ok', 'incident.remediate:otto:ok']);
  // The repeated click started nothing new.
  const rows = await stack.backends.db.query<{ n: number }>(
    `select count(*)::int as n from run_events where stream_id like 'run-%' and type = 'run.started' and data->'params'->>'service' = 'payments' and stream_id not like 'run-deploy-%'`,
  );
  expect(rows[0]!.n).toBe(1);
}, 120_000);
