import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { COMPOSE_TOOL } from '../../runbooks/planner/composeTool';
import { startFakeAnthropic, type FakeAnthropic, type Script } from './support/fakeAnthropic';
import { startChatStack, TOKENS, type ChatStack } from './support/chatStack';

/**
 * "make me a runbook that …" in chat (RunbookCompose, issue #15 §4), end to end: real API, the
 * chatSession workflow on the test Temporal server, drafts in Postgres, and the FAKE Anthropic
 * Messages API as the model (it classifies and composes). The reply carries the plan summary, the
 * draft id and how an admin starts it; nothing is proposed and no run starts. When the model fails,
 * the reply lists the closest catalogue runbooks instead.
 */
let stack: ChatStack;
let anthropic: FakeAnthropic;
let plannerDir: string;
let composeFails = false;

const draftName = `chat-restart-${Date.now().toString(36)}`;
const composed = {
  name: draftName,
  description: 'Restart a service after an approval',
  params: { service: { type: 'string', required: true, pattern: '^[a-z-]+$' } },
  steps: [
    { id: 'gate', type: 'approval', message: 'Restart ${{ params.service }}?' },
    { id: 'restart', type: 'runbook', needs: ['gate'], runbook: 'restart-service', params: { service: '${{ params.service }}' } },
  ],
};

function model(body: any): Script {
  if (body.tool_choice?.name === 'classify_request') {
    const text = JSON.stringify(body.messages);
    const intent = /runbook/i.test(text) ? 'RunbookCompose' : 'GeneralQuery';
    return { kind: 'tool_use', name: 'classify_request', input: { intent, confidence: 0.95, entities: [{ type: 'service', value: 'payments' }] } };
  }
  if (body.tool_choice?.name === COMPOSE_TOOL)
    return composeFails ? { kind: 'error', status: 529, type: 'overloaded_error' } : { kind: 'tool_use', name: COMPOSE_TOOL, input: composed };
  return { kind: 'text', text: 'OK.' };
}

beforeAll(async () => {
  anthropic = await startFakeAnthropic();
  anthropic.fallback = model;
  plannerDir = mkdtempSync(path.join(os.tmpdir(), 'chat-planner-'));
  stack = await startChatStack('chatcompose', { ANTHROPIC_API_KEY: anthropic.apiKey, ANTHROPIC_BASE_URL: anthropic.url, LLM_BREAKER_THRESHOLD: '100' }, { plannerDir });
});
afterAll(async () => {
  await stack?.close();
  await anthropic?.close();
  if (plannerDir) rmSync(plannerDir, { recursive: true, force: true });
});

test('an operator gets a draft with its plan and how to start it; nothing is proposed or started', async () => {
  const id = await stack.createSession(TOKENS.operator);
  const res = await stack.say(TOKENS.operator, id, 'make me a runbook that restarts payments behind an approval');
  expect(res.status).toBe(200);
  const reply = res.body.reply;
  expect(reply.text).toContain(`I composed a draft runbook "${draftName}"`);
  expect(reply.text).toContain('Approval gates: gate (approver)');
  expect(reply.text).toContain(`POST /api/v1/runbooks/drafts/${reply.draftId}/runs`);
  expect(reply).toMatchObject({ composed: 'llm', draftId: expect.stringMatching(/^[0-9a-f-]{36}$/), digest: expect.stringMatching(/^sha256:/) });
  expect(reply.proposal).toBeUndefined();

  const draft = await stack.call('GET', `/api/v1/runbooks/drafts/${reply.draftId}`, { token: TOKENS.viewer });
  expect(draft.status).toBe(200);
  expect(draft.body).toMatchObject({ draft: { status: 'draft', createdBy: 'olga', name: draftName }, digest: reply.digest });
  expect((await stack.call('GET', `/api/v1/sessions/${id}`, { token: TOKENS.operator })).body.proposals).toEqual([]);
  expect((await stack.events(id)).filter((e) => e.type === 'action.proposed' || e.type === 'action.started')).toEqual([]);
  const runs: string[] = [];
  for await (const run of stack.backends.client.workflow.list({ query: `Runbook = "${draftName}"` })) runs.push(run.workflowId);
  expect(runs).toEqual([]);
});

test('a viewer is refused; a model outage answers with the closest catalogue runbooks', async () => {
  const viewerSession = await stack.createSession(TOKENS.viewer);
  const refused = await stack.say(TOKENS.viewer, viewerSession, 'compose a runbook to restart payments');
  expect(refused.body.reply.text).toContain('needs the "operator" role');
  expect(refused.body.reply.draftId).toBeUndefined();

  composeFails = true;
  const id = await stack.createSession(TOKENS.operator);
  const res = await stack.say(TOKENS.operator, id, 'make me a runbook that restarts payments');
  expect(res.body.reply.text).toContain('The model could not compose a runbook just now (overloaded)');
  expect(res.body.reply.text).toMatch(/1\. restart-service \(\d\.\d\d\): restarts a service \(matches "restart"/);
  expect(res.body.reply).toMatchObject({ composed: 'rules' });
  expect(res.body.reply.draftId).toBeUndefined();
});
