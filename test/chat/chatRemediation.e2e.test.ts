import { startFakeLoki, type FakeLoki } from '../incidents/support/fakeLoki';
import { startFakeTempo, type FakeTempo } from '../incidents/support/fakeTempo';
import { logsFor, recordPaymentsDeploys, runStartsBesidesDeploys, tracesFor } from '../incidents/support/scenarioData';
import { startChatStack, TOKENS, type ChatStack } from './support/chatStack';

/**
 * "remediate <incident>" from chat: the investigation's proposed action becomes a chat proposal
 * naming runbook, params and reason; nothing starts until the requester says "yes", which starts
 * it once (keyed like POST /incidents/:id/remediate) and records the run on the incident.
 * Scenario as in test/incidents/investigation.test.ts: payments breaks after a recent deploy.
 */
let stack: ChatStack;
let loki: FakeLoki;
let tempo: FakeTempo;
const pivot = new Date(Date.now() - 2 * 60_000);

beforeAll(async () => {
  loki = await startFakeLoki(logsFor('payments', 'search', pivot));
  tempo = await startFakeTempo(tracesFor('payments', 'gateway', pivot));
  stack = await startChatStack('chatremed', { LOKI_URL: loki.url, TEMPO_URL: tempo.url }, { incidents: true });
  await recordPaymentsDeploys(stack.backends, pivot);
});
afterAll(async () => {
  await stack?.close();
  await loki?.close();
  await tempo?.close();
});

const runStarts = (): Promise<string[]> => runStartsBesidesDeploys(stack.backends);

test('remediate: the card names the proposed action; "no" drops it, "yes" starts it once and the incident records the run', async () => {
  const { incidentId } = await stack.incidents!.startIncident({ title: 'payments failing', severity: 'high', source: 'api', requestedBy: { sub: 'olga', roles: ['operator'] } });
  const deadline = Date.now() + 60_000;
  while ((await stack.incidents!.getState(incidentId)).actions.length === 0) {
    if (Date.now() > deadline) throw new Error('the investigation proposed no action');
    await new Promise((r) => setTimeout(r, 250));
  }
  const id = await stack.createSession(TOKENS.operator);
  const card = await stack.say(TOKENS.operator, id, `remediate ${incidentId}`);
  expect(card.body.reply.proposal).toMatchObject({ kind: 'incident-remediate', incidentId, actionId: 'rollback-payments', runbook: 'deploy-service', requestedBy: 'olga' });
  expect(card.body.reply.text).toContain(`I will start deploy-service with service=payments, version=v1, environment=production for ${incidentId} ("payments failing", high,`);
  expect(card.body.reply.text).toContain("The runbook's approval gates still apply.");
  expect(await runStarts()).toEqual([]);
  expect((await stack.say(TOKENS.operator, id, 'no')).body.reply.text).toBe('OK, dropped it. Nothing was started.');
  expect(await runStarts()).toEqual([]);

  await stack.say(TOKENS.operator, id, `remediate ${incidentId}`);
  const yes = await stack.say(TOKENS.operator, id, 'yes');
  const runId = yes.body.reply.runId as string;
  expect(runId).toMatch(/^run-/);
  expect(await stack.backends.runs.describeRun(runId)).toMatchObject({ runbook: 'deploy-service', requestedBy: 'olga' });
  const state = await stack.incidents!.getState(incidentId);
  expect(state.actions.find((a) => a.id === 'rollback-payments')).toMatchObject({ runId, startedBy: 'olga' });
  expect(await runStarts()).toEqual([runId]);

  // The rollback is taken: the next "remediate" offers the restart instead.
  const next = await stack.say(TOKENS.operator, id, `remediate ${incidentId}`);
  expect(next.body.reply.proposal).toMatchObject({ kind: 'incident-remediate', actionId: 'restart-payments', runbook: 'restart-service' });
  await stack.say(TOKENS.operator, id, 'no');
  expect(await runStarts()).toEqual([runId]);
});
