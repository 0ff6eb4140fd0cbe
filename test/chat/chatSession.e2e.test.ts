import { startChatStack, TOKENS, type ChatStack } from './support/chatStack';

/**
 * Conversations end to end on the rules path (no API key): the real API, the chatSession workflow
 * on the test Temporal server, Postgres events over SSE, runs started and approved from chat.
 * CHAT_CONTINUE_AS_NEW_TURNS is low, so every longer conversation here also crosses continue-as-new.
 */
let stack: ChatStack;

beforeAll(async () => {
  stack = await startChatStack('chat', { CHAT_CONTINUE_AS_NEW_TURNS: '3', CHAT_MAX_MESSAGE_CHARS: '500' });
});
afterAll(async () => {
  await stack?.close();
});

const types = (events: { type: string }[]) => events.map((e) => e.type);

test('a question is answered with the PromQL beside its result, streamed over SSE', async () => {
  const id = await stack.createSession(TOKENS.operator);
  const sse = await stack.sse(id, TOKENS.operator);
  const res = await stack.say(TOKENS.operator, id, 'show me p95 latency for prometheus over the last 5 minutes');
  expect(res.status).toBe(200);
  expect(res.body.turnId).toBe('t1');
  expect(res.body.reply.text).toContain('PromQL: histogram_quantile(0.95, sum by (le) (rate(prometheus_http_request_duration_seconds_bucket{job="prometheus"}[1m])))');
  expect(res.body.reply).toMatchObject({ degraded: false, source: 'rules', intent: { type: 'MetricQuery' } });
  const seen = await sse.waitFor((events) => events.some((e) => e.event === 'reply.completed'));
  expect(types(seen.map((e) => ({ type: e.event })))).toEqual(['session.started', 'turn.started', 'turn.understood', 'query.executed', 'reply.delta', 'reply.completed']);
  const query = JSON.parse(seen[3]!.data);
  expect(query).toMatchObject({ turnId: 't1', language: 'promql', ok: true });
  sse.close();
  const state = await stack.call('GET', `/api/v1/sessions/${id}`, { token: TOKENS.operator });
  expect(state.body.focus).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'service', value: 'prometheus' })]));
});

test('the same question in the same context moments later is answered from the answer cache', async () => {
  const id = await stack.createSession(TOKENS.operator);
  const question = 'show me the request rate of prometheus over the last 10 minutes';
  const first = await stack.say(TOKENS.operator, id, question);
  const second = await stack.say(TOKENS.operator, id, `  Show me the request rate of Prometheus over the last 10 minutes? `);
  expect(first.body.reply.cached).toBeUndefined();
  expect(second.body.reply).toMatchObject({ cached: true, text: first.body.reply.text });
  const completed = (await stack.events(id)).filter((e) => e.type === 'reply.completed');
  expect(completed.map((e) => e.data.cached ?? false)).toEqual([false, true]);
  // The cached answer still records the queries it was built from, beside its result.
  expect((await stack.events(id)).filter((e) => e.type === 'query.executed' && e.data.turnId === second.body.turnId)).not.toHaveLength(0);
});

test('sessions belong to their creator: others see 404, admins may read but not post', async () => {
  const id = await stack.createSession(TOKENS.operator);
  expect((await stack.call('GET', `/api/v1/sessions/${id}`, { token: TOKENS.viewer })).status).toBe(404);
  expect((await stack.call('POST', `/api/v1/sessions/${id}/messages`, { token: TOKENS.viewer, json: { content: 'hi' } })).status).toBe(404);
  expect((await stack.call('GET', `/api/v1/sessions/${id}/events`, { token: TOKENS.viewer })).status).toBe(404);
  expect((await stack.call('GET', `/api/v1/sessions/${id}`, { token: TOKENS.admin })).status).toBe(200);
  expect((await stack.call('POST', `/api/v1/sessions/${id}/messages`, { token: TOKENS.admin, json: { content: 'hi' } })).status).toBe(403);
  expect((await stack.call('GET', '/api/v1/sessions/00000000-0000-4000-8000-000000000000', { token: TOKENS.admin })).status).toBe(404);
});

test('empty and oversized messages are refused by the update validator and never reach the conversation', async () => {
  const id = await stack.createSession(TOKENS.operator);
  expect((await stack.call('POST', `/api/v1/sessions/${id}/messages`, { token: TOKENS.operator, json: { content: '   ' } })).status).toBe(400);
  expect((await stack.call('POST', `/api/v1/sessions/${id}/messages`, { token: TOKENS.operator, json: { content: 'x'.repeat(501) } })).status).toBe(413);
  const state = await stack.call('GET', `/api/v1/sessions/${id}`, { token: TOKENS.operator });
  expect(state.body.turns).toBe(0);
  const history = await stack.backends.client.workflow.getHandle(`session-${id}`).fetchHistory();
  expect((history.events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes)).toHaveLength(0);
});

test('a burst is queued and answered in order, across continue-as-new, keeping focus and history', async () => {
  const id = await stack.createSession(TOKENS.operator);
  const texts = ['cpu of prometheus in the last 10 minutes', 'memory of prometheus', 'is prometheus healthy?', 'what is a runbook?', 'error rate of prometheus', 'same for cpu'];
  const posted = await Promise.all(texts.map((content) => stack.call('POST', `/api/v1/sessions/${id}/messages`, { token: TOKENS.operator, json: { content } })));
  expect(posted.map((p) => p.status)).toEqual(Array(6).fill(202));
  expect(new Set(posted.map((p) => p.body.turnId)).size).toBe(6);
  await stack.waitForEvent(id, (e) => e.type === 'reply.completed' && e.data.turnId === 't6', 30_000);
  const events = await stack.events(id);
  const completed = events.filter((e) => e.type === 'reply.completed').map((e) => e.data.turnId);
  expect(completed).toEqual(['t1', 't2', 't3', 't4', 't5', 't6']);
  // Turns never interleave: each turn's events end before the next one starts.
  const starts = events.filter((e) => e.type === 'turn.started');
  for (let i = 1; i < starts.length; i++) {
    const prevDone = events.find((e) => e.type === 'reply.completed' && e.data.turnId === starts[i - 1]!.data.turnId)!;
    expect(prevDone.seq).toBeLessThan(starts[i]!.seq);
  }
  expect(types(events)).toContain('session.continued');
  const state = (await stack.call('GET', `/api/v1/sessions/${id}`, { token: TOKENS.operator })).body;
  expect(state.generation).toBeGreaterThanOrEqual(1);
  expect(state.turns).toBe(6);
  expect(state.focus).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'service', value: 'prometheus' })]));
  // After continue-as-new a follow-up still resolves against the carried focus.
  const follow = await stack.say(TOKENS.operator, id, 'restart it');
  expect(follow.body.reply.text).toContain('service=prometheus');
  const page1 = await stack.call('GET', `/api/v1/sessions/${id}/messages?limit=4`, { token: TOKENS.operator });
  expect(page1.body.items.map((m: any) => `${m.turnId}:${m.role}`)).toEqual(['t1:user', 't1:assistant', 't2:user', 't2:assistant']);
  const page2 = await stack.call('GET', `/api/v1/sessions/${id}/messages?limit=2&after=${page1.body.nextCursor}`, { token: TOKENS.operator });
  expect(page2.body.items.map((m: any) => `${m.turnId}:${m.role}`)).toEqual(['t3:user', 't3:assistant']);
  const all = await stack.call('GET', `/api/v1/sessions/${id}/messages?limit=200`, { token: TOKENS.operator });
  expect(all.body.items).toHaveLength(14);
  // Concurrent POSTs are numbered in arrival order; the transcript follows that numbering.
  const byTurn = Object.fromEntries(posted.map((p, i) => [p.body.turnId as string, texts[i]]));
  expect(all.body.items[0]).toMatchObject({ role: 'user', turnId: 't1', content: byTurn.t1 });
});

test('deploy from chat: proposal, "yes" starts the run as the user, the gate is announced, an approver approves in their own session', async () => {
  const id = await stack.createSession(TOKENS.operator);
  const sse = await stack.sse(id, TOKENS.operator);
  const proposal = await stack.say(TOKENS.operator, id, 'deploy auth v2.3.1 to production');
  expect(proposal.body.reply.text).toContain('I will run deploy-service with service=auth, version=v2.3.1, environment=production.');
  expect(proposal.body.reply.text).toContain('Reply "yes"');
  const proposed = await stack.waitForEvent(id, (e) => e.type === 'action.proposed');
  expect(proposed.data).toMatchObject({ runbook: 'deploy-service', params: { service: 'auth', version: 'v2.3.1', environment: 'production' } });

  const yes = await stack.say(TOKENS.operator, id, 'yes');
  const runId = yes.body.reply.runId as string;
  expect(runId).toMatch(/^run-/);
  const run = await stack.backends.runs.describeRun(runId);
  expect(run).toMatchObject({ runbook: 'deploy-service', requestedBy: 'olga' });

  const announced = await sse.waitFor((events) => events.some((e) => e.event === 'action.approval_requested'));
  expect(JSON.parse(announced.find((e) => e.event === 'action.approval_requested')!.data)).toMatchObject({ runId, gateId: 'approve', fourEyes: true });
  const status = await stack.say(TOKENS.operator, id, "what's the status of that deploy?");
  expect(status.body.reply.text).toContain(`deploy-service ${runId} is waiting_approval`);

  // The requester holds no approver role: refused in chat before the gate is even asked.
  expect((await stack.say(TOKENS.operator, id, 'approve it')).body.reply.text).toContain('needs the "approver" role');

  const approverSession = await stack.createSession(TOKENS.approver);
  const card = await stack.say(TOKENS.approver, approverSession, `approve ${runId}`);
  expect(card.body.reply.text).toContain(`I will approve gate "approve" of deploy-service ${runId}`);
  const approved = await stack.say(TOKENS.approver, approverSession, 'yes');
  expect(approved.body.reply.text).toContain(`Approved "approve" of deploy-service ${runId}`);
  const done = await sse.waitFor((events) => events.some((e) => e.event === 'action.completed'), 30_000);
  expect(JSON.parse(done.find((e) => e.event === 'action.completed')!.data)).toMatchObject({ runId, status: 'succeeded' });
  const state = await stack.backends.runs.getState(runId);
  expect(state.approvals[0]!.votes[0]).toMatchObject({ approver: 'adam', via: 'chat' });
  sse.close();
});

test('four eyes apply in chat too; "cancel it" proposes, "yes" cancels the run in focus', async () => {
  const id = await stack.createSession(TOKENS.secondAdmin);
  await stack.say(TOKENS.secondAdmin, id, 'deploy payments v9.9.9 to production');
  const runId = (await stack.say(TOKENS.secondAdmin, id, 'yes')).body.reply.runId as string;
  await stack.waitForEvent(id, (e) => e.type === 'action.approval_requested' && e.data.runId === runId);
  expect((await stack.say(TOKENS.secondAdmin, id, 'approve it')).body.reply.text).toContain('You requested this run, so the gate will refuse your vote.');
  const self = await stack.say(TOKENS.secondAdmin, id, 'yes');
  expect(self.body.reply.text).toMatch(/could not record your decision.*four-eyes: alan requested this run/i);
  const cancel = await stack.say(TOKENS.secondAdmin, id, 'cancel it');
  expect(cancel.body.reply.text).toContain(`I will cancel deploy-service ${runId}`);
  expect((await stack.say(TOKENS.secondAdmin, id, 'yes')).body.reply.text).toContain(`Cancelling ${runId}`);
  const ended = await stack.waitForEvent(id, (e) => e.type === 'action.completed' && e.data.runId === runId, 30_000);
  expect(ended.data.status).toBe('cancelled');
});

test('a viewer may ask but not act; "yes" with nothing open confirms nothing', async () => {
  const id = await stack.createSession(TOKENS.viewer);
  const res = await stack.say(TOKENS.viewer, id, 'deploy auth v2.3.1 to production');
  expect(res.body.reply.text).toContain('needs the "operator" role');
  expect((await stack.say(TOKENS.viewer, id, 'yes')).body.reply.text).toBe('There is nothing waiting for a confirmation right now.');
  expect(types(await stack.events(id))).not.toContain('action.proposed');
  const vague = await stack.say(TOKENS.viewer, id, 'banana');
  expect(vague.body.reply).toMatchObject({ clarification: true });
});

test('test intents map to runbooks: "run the tests for checkout" proposes run-tests', async () => {
  const id = await stack.createSession(TOKENS.operator);
  const res = await stack.say(TOKENS.operator, id, 'run the tests for checkout');
  expect(res.body.reply.text).toContain('I will run run-tests with service=checkout.');
  const cov = await stack.say(TOKENS.operator, id, 'test coverage for checkout');
  expect(cov.body.reply.text).toContain('"test-coverage" is not a runbook in the catalogue');
});

test('DELETE ends the session: session.ended closes the stream, later messages are refused', async () => {
  const id = await stack.createSession(TOKENS.operator);
  const sse = await stack.sse(id, TOKENS.operator);
  expect((await stack.call('DELETE', `/api/v1/sessions/${id}`, { token: TOKENS.viewer })).status).toBe(404);
  expect((await stack.call('DELETE', `/api/v1/sessions/${id}`, { token: TOKENS.operator })).status).toBe(204);
  await sse.ended;
  expect(sse.events.map((e) => e.event)).toEqual(['session.started', 'session.ended']);
  const after = await stack.call('POST', `/api/v1/sessions/${id}/messages`, { token: TOKENS.operator, json: { content: 'hello?' } });
  expect(after.status).toBe(409);
});

test('POST /api/v1/nlp/parse exposes the engine; a session id resolves references from its focus', async () => {
  const res = await stack.call('POST', '/api/v1/nlp/parse', { token: TOKENS.viewer, json: { text: 'show me p95 latency for checkout in prod over the last hour' } });
  expect(res.status).toBe(200);
  expect(res.body.intent).toMatchObject({ type: 'MetricQuery' });
  expect(res.body.intent.confidence).toBeGreaterThan(0.8);
  expect(res.body.entities).toEqual(
    expect.arrayContaining([
      { type: 'service', value: 'checkout', text: 'checkout' },
      { type: 'environment', value: 'production', text: 'prod' },
    ]),
  );
  expect(res.body.queries[0]).toMatchObject({ language: 'promql', valid: true });
  expect(['rules', 'cache']).toContain(res.body.source);
  const id = await stack.createSession(TOKENS.viewer);
  await stack.say(TOKENS.viewer, id, 'is prometheus healthy?');
  const ref = await stack.call('POST', '/api/v1/nlp/parse', { token: TOKENS.viewer, json: { text: 'show me the cpu', sessionId: id } });
  expect(ref.body.entities).toContainEqual({ type: 'service', value: 'prometheus', fromFocus: true });
  expect((await stack.call('POST', '/api/v1/nlp/parse', { token: TOKENS.operator, json: { text: 'x', sessionId: id } })).status).toBe(404);
  expect((await stack.call('POST', '/api/v1/nlp/parse', { token: TOKENS.viewer, json: { text: '' } })).status).toBe(400);
});
