import { startChatStack, TOKENS, type ChatStack } from './support/chatStack';

/**
 * Incidents from chat (rules path), through the same IncidentService as the API with source
 * "chat": each request is a proposal first; "yes" opens the incident (the reply names it, the
 * `incidentInvestigation` workflow runs on the worker with the incident activities), and
 * "resolve incident <id>" + "yes" resolves it.
 */
let stack: ChatStack;

beforeAll(async () => {
  stack = await startChatStack('chatinc', {}, { incidents: true });
});
afterAll(async () => {
  await stack?.close();
});

test('"open an incident for checkout, p95 latency is high" starts the investigation; "resolve incident <id>" resolves it', async () => {
  const id = await stack.createSession(TOKENS.operator);
  const proposed = await stack.say(TOKENS.operator, id, 'open an incident for checkout, p95 latency is high');
  expect(proposed.status).toBe(200);
  expect(proposed.body.reply.intent).toMatchObject({ type: 'IncidentCreate' });
  expect(proposed.body.reply.text).toContain('I will open a high incident "checkout: reported in chat" for checkout');
  const opened = await stack.say(TOKENS.operator, id, 'yes');
  const incidentId = /Opened incident (inc-[0-9a-f-]+)/.exec(opened.body.reply.text)?.[1];
  expect(incidentId).toBeDefined();
  expect(opened.body.reply.text).toContain('(high, checkout)');
  const announced = await stack.waitForEvent(id, (e) => e.type === 'action.incident');
  expect(announced.data).toMatchObject({ action: 'create', incidentId });

  const handle = stack.backends.client.workflow.getHandle(incidentId!);
  expect((await handle.describe()).type).toBe('incidentInvestigation');
  const state = await stack.incidents!.getState(incidentId!);
  expect(state).toMatchObject({ incidentId, source: 'chat', service: 'checkout', severity: 'high' });
  expect(state.status).not.toBe('resolved');

  expect((await stack.say(TOKENS.operator, id, `resolve incident ${incidentId}`)).body.reply.text).toContain(`I will resolve ${incidentId}`);
  expect((await stack.incidents!.getState(incidentId!)).status).not.toBe('resolved');
  const resolved = await stack.say(TOKENS.operator, id, 'yes');
  expect(resolved.body.reply.text).toContain(`Resolved ${incidentId}`);
  const after = await stack.incidents!.getState(incidentId!);
  expect(after).toMatchObject({ status: 'resolved', resolvedBy: 'olga' });
});

test('a viewer cannot open an incident from chat', async () => {
  const id = await stack.createSession(TOKENS.viewer);
  const res = await stack.say(TOKENS.viewer, id, 'open an incident for checkout, p95 latency is high');
  expect(res.body.reply.text).toContain('needs the "operator" role');
  expect((await stack.events(id)).map((e) => e.type)).not.toContain('action.incident');
});

test('an AlertInvestigation from an operator proposes an investigation ("yes" opens it); from a viewer it stays a read-only answer', async () => {
  const id = await stack.createSession(TOKENS.operator);
  const proposal = await stack.say(TOKENS.operator, id, 'investigate the checkout alerts');
  expect(proposal.body.reply.intent).toMatchObject({ type: 'AlertInvestigation' });
  expect(proposal.body.reply.proposal).toMatchObject({ kind: 'incident-create', service: 'checkout' });
  const res = await stack.say(TOKENS.operator, id, 'yes');
  const incidentId = /Opened incident (inc-[0-9a-f-]+)/.exec(res.body.reply.text)?.[1];
  expect(incidentId).toBeDefined();
  expect(await stack.incidents!.getState(incidentId!)).toMatchObject({ source: 'chat', service: 'checkout' });

  const viewerSession = await stack.createSession(TOKENS.viewer);
  const viewer = await stack.say(TOKENS.viewer, viewerSession, 'investigate the checkout alerts');
  expect(viewer.body.reply.intent).toMatchObject({ type: 'AlertInvestigation' });
  expect(viewer.body.reply.text).not.toMatch(/Opened incident/);
  expect((await stack.events(viewerSession)).map((e) => e.type)).not.toContain('action.incident');
  await stack.say(TOKENS.operator, id, `resolve incident ${incidentId}`);
  await stack.say(TOKENS.operator, id, 'yes');
});
