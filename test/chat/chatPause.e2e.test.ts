import { auditEntriesFor } from '../../audit/auditedEventStore';
import { sessionStreamId } from '../../chat/model/types';
import { AUTH_TOKENS } from '../api/support/fixtures';
import { startChatStack, TOKENS, type ChatStack } from './support/chatStack';

/**
 * Pause and resume from chat (issue #15 §1), end to end on the rules path: real API, the
 * chatSession workflow and the run on the test Temporal server, events in Postgres. "pause the auth
 * deploy" is a proposal; only the requester's "yes", holding operator, pauses the run as them.
 */
let stack: ChatStack;
/** olga again, now holding only viewer: her "yes" must not act. */
const DEMOTED = 'olga-demoted-token-0002';

beforeAll(async () => {
  stack = await startChatStack('chatpause', { AUTH_TOKENS: `${AUTH_TOKENS},${DEMOTED}=olga:viewer` });
});
afterAll(async () => {
  await stack?.close();
});

const runEvents = (runId: string) => stack.backends.store.list(runId, 0, 10_000);

test('"pause the auth deploy" proposes, "yes" pauses the run as the user; "resume it" resumes it and the run completes', async () => {
  const id = await stack.createSession(TOKENS.operator);
  await stack.say(TOKENS.operator, id, 'deploy auth v2.3.1 to production');
  const runId = (await stack.say(TOKENS.operator, id, 'yes')).body.reply.runId as string;
  expect(runId).toMatch(/^run-/);
  // Waiting at its production gate: a live run that can be paused.
  await stack.waitForEvent(id, (e) => e.type === 'action.approval_requested' && e.data.runId === runId);

  // Quoted material never proposes an action, even with a run in focus.
  const quoted = await stack.say(TOKENS.operator, id, "the alert said 'pause the deploy'");
  expect(quoted.body.reply.proposal).toBeUndefined();
  expect((await stack.call('GET', `/api/v1/sessions/${id}`, { token: TOKENS.operator })).body.proposals).toEqual([]);
  expect((await stack.events(id)).filter((e) => e.type === 'action.proposed')).toHaveLength(1);

  const card = await stack.say(TOKENS.operator, id, 'pause the auth deploy');
  expect(card.body.reply.text).toContain(`I will pause deploy-service ${runId}`);
  expect(card.body.reply.proposal).toMatchObject({ kind: 'pause-run', runId, requiredRole: 'operator', requestedBy: 'olga' });

  // The same user without the operator role: refused, nothing paused, the proposal stays open.
  const demoted = await stack.say(DEMOTED, id, 'yes');
  expect(demoted.body.reply.text).toContain('needs the "operator" role');
  expect((await stack.backends.runs.getState(runId)).status).toBe('waiting_approval');
  expect((await stack.call('GET', `/api/v1/sessions/${id}`, { token: TOKENS.operator })).body.proposals).toEqual([expect.objectContaining({ kind: 'pause-run', runId })]);

  const paused = await stack.say(TOKENS.operator, id, 'yes');
  expect(paused.body.reply.text).toContain(`Paused deploy-service ${runId}`);
  const state = await stack.backends.runs.getState(runId);
  expect(state.status).toBe('paused');
  expect(state.pause).toMatchObject({ by: 'olga', via: 'chat', reason: 'pause the auth deploy' });
  const pausedEvent = (await runEvents(runId)).find((e) => e.type === 'run.paused');
  expect(pausedEvent?.data).toMatchObject({ by: 'olga', via: 'chat', claimed: false, reason: 'pause the auth deploy' });
  // Forwarded into the chat, and audited as run.pause from the confirmed action (surface chat).
  await stack.waitForEvent(id, (e) => e.type === 'action.progress' && e.data.what === 'run.paused' && e.data.runId === runId);
  const action = (await stack.events(id)).find((e) => e.type === 'action.paused')!;
  expect(action.data).toMatchObject({ runId, by: 'olga' });
  expect(auditEntriesFor(sessionStreamId(id), { type: action.type, data: action.data, dedupeKey: `${id}/action.paused` })).toEqual([
    expect.objectContaining({ subject: 'olga', surface: 'chat', action: 'run.pause', target: runId, outcome: 'ok' }),
  ]);

  const resumeCard = await stack.say(TOKENS.operator, id, 'resume it');
  expect(resumeCard.body.reply.text).toContain(`I will resume deploy-service ${runId}`);
  const resumed = await stack.say(TOKENS.operator, id, 'yes');
  expect(resumed.body.reply.text).toContain(`Resumed deploy-service ${runId}`);
  expect((await stack.backends.runs.getState(runId)).status).toBe('waiting_approval');
  expect((await runEvents(runId)).find((e) => e.type === 'run.resumed')?.data).toMatchObject({ by: 'olga', via: 'chat', pausedBy: 'olga' });
  expect((await stack.events(id)).filter((e) => e.type === 'action.resumed').map((e) => e.data.by)).toEqual(['olga']);

  // A second "resume it" is refused by the run itself (not paused), and the reply says so.
  await stack.say(TOKENS.operator, id, 'resume it');
  const again = await stack.say(TOKENS.operator, id, 'yes');
  expect(again.body.reply).toMatchObject({ actionRefused: true });
  expect(again.body.reply.text).toContain(`I could not resume ${runId}`);

  const approverSession = await stack.createSession(TOKENS.approver);
  await stack.say(TOKENS.approver, approverSession, `approve ${runId}`);
  expect((await stack.say(TOKENS.approver, approverSession, 'yes')).body.reply.text).toContain(`Approved "approve" of deploy-service ${runId}`);
  const done = await stack.waitForEvent(id, (e) => e.type === 'action.completed' && e.data.runId === runId, 30_000);
  expect(done.data.status).toBe('succeeded');
});

test('a viewer may not pause: refused before any proposal, the run never paused', async () => {
  const operatorSession = await stack.createSession(TOKENS.operator);
  await stack.say(TOKENS.operator, operatorSession, 'deploy payments v1.0.0 to production');
  const runId = (await stack.say(TOKENS.operator, operatorSession, 'yes')).body.reply.runId as string;
  await stack.waitForEvent(operatorSession, (e) => e.type === 'action.approval_requested' && e.data.runId === runId);

  const id = await stack.createSession(TOKENS.viewer);
  const res = await stack.say(TOKENS.viewer, id, `pause ${runId}`);
  expect(res.body.reply.text).toContain('Pausing a run needs the "operator" role');
  expect((await stack.say(TOKENS.viewer, id, 'yes')).body.reply.text).toBe('There is nothing waiting for a confirmation right now.');
  expect((await stack.events(id)).map((e) => e.type)).not.toContain('action.proposed');
  // Nor can the viewer answer in the operator's session.
  expect((await stack.say(TOKENS.viewer, operatorSession, 'yes')).status).toBe(404);
  expect((await stack.backends.runs.getState(runId)).status).toBe('waiting_approval');
  expect((await runEvents(runId)).map((e) => e.type)).not.toContain('run.paused');
});
