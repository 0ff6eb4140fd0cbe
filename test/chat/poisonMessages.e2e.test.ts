import { randomUUID } from 'node:crypto';
import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../../activities/createActivities';
import { createChatActivities, type ChatActivityDeps } from '../../chat/activities/chatActivities';
import { DEFAULT_SESSION_OPTIONS, sessionStreamId, type ChatSessionInput } from '../../chat/model/types';
import { PERMANENT_FAILURE } from '../../domain/failureTypes';
import { createRunbookWorker } from '../../workers/createWorker';
import { catalogueOf } from '../api/support/fixtures';
import { startChatStack, TOKENS, type ChatStack } from './support/chatStack';

/**
 * Poison messages sent straight through the Temporal client (the API refuses them; the Temporal UI,
 * `temporal workflow update` or an old client do not): the turn ends with a reply (its text stored
 * with U+FFFD) or with turn.failed and an apology, and the SAME session answers the next message.
 * Issue 17: a NUL or a lone surrogate used to wedge the session for good. Memory is on, so the
 * transcript writes (Redis + Postgres) see the poison too.
 */
let stack: ChatStack;
const FFFD = '\ufffd';

beforeAll(async () => {
  stack = await startChatStack('chatpoison', {}, { memory: true });
});
afterAll(async () => {
  await stack?.close();
});

async function sendDirect(sessionId: string, content: string): Promise<string> {
  const handle = stack.backends.client.workflow.getHandle(sessionStreamId(sessionId));
  const result = await handle.executeUpdate<{ turnId: string }, [unknown]>('sendMessage', { args: [{ content, principal: { sub: 'olga', roles: ['operator'] } }] });
  return result.turnId;
}

/** The turn's last word: reply.completed (normal or the failure apology). */
async function endOf(sessionId: string, turnId: string) {
  return stack.waitForEvent(sessionId, (e) => e.type === 'reply.completed' && e.data.turnId === turnId, 30_000);
}

test.each([
  ['NUL', 'show me p95 latency for prometheus\u0000 over the last 5 minutes'],
  ['a lone surrogate', 'show me p95 latency for prometheus \ud800 over the last 5 minutes'],
])('a message with %s gets its turn finished, and the same session still answers "status?"', async (_what, content) => {
  const id = await stack.createSession(TOKENS.operator);
  const turnId = await sendDirect(id, content);
  const end = await endOf(id, turnId);
  const events = await stack.events(id);
  const started = events.find((e) => e.type === 'turn.started' && e.data.turnId === turnId)!;
  expect(started.data.content).toBe(content.replace('\u0000', FFFD).replace('\ud800', FFFD));
  const failed = events.find((e) => e.type === 'turn.failed' && e.data.turnId === turnId);
  if (failed) {
    expect(failed.data).toMatchObject({ turnId, error: expect.any(String) });
    expect(end.data).toMatchObject({ failed: true, text: expect.stringMatching(/^Sorry/) });
  } else {
    expect(end.data.failed).toBeUndefined();
    expect(String(end.data.text).length).toBeGreaterThan(0);
  }
  expect(JSON.stringify(events.map((e) => e.data))).not.toMatch(/\\u0000|\\ud800/);

  // Same session, a normal request: answered.
  const next = await stack.say(TOKENS.operator, id, 'status?');
  expect(next.status).toBe(200);
  expect(next.body.turnId).not.toBe(turnId);
  expect(String(next.body.reply.text).length).toBeGreaterThan(0);
  // The reply is out before the transcript write finishes: give the turn a moment to close.
  let state = await stack.call('GET', `/api/v1/sessions/${id}`, { token: TOKENS.operator });
  for (let i = 0; i < 50 && state.body.processing !== undefined; i++) {
    await new Promise((r) => setTimeout(r, 100));
    state = await stack.call('GET', `/api/v1/sessions/${id}`, { token: TOKENS.operator });
  }
  expect(state.body).toMatchObject({ status: 'active', queued: 0 });
  expect(state.body.processing).toBeUndefined();
});

test('a turn whose write the database refuses for good fails at once with turn.failed and an apology; the session answers the next message', async () => {
  // A second worker whose transcript store is the real database refusing the value (22P02) for
  // messages that mention "poison": a permanent data error in the middle of a turn.
  const taskQueue = `chat-poison-${randomUUID()}`;
  const db = stack.backends.db;
  const memory = {
    async recordTurn(_session: string, turn: { content: string }) {
      if (turn.content.includes('poison')) await db.query('select $1::int', [turn.content]);
      return { content: turn.content };
    },
    retrieveContext: () => Promise.reject(new Error('not used on the rules path')),
  } as unknown as NonNullable<ChatActivityDeps['memory']>;
  const connection = await NativeConnection.connect({ address: process.env.TEST_TEMPORAL_ADDRESS! });
  const worker = await createRunbookWorker({
    connection,
    namespace: 'default',
    taskQueue,
    activities: {
      ...createActivities({
        events: stack.backends.store,
        catalogue: { get: () => undefined },
        config: { commandAllowlist: [], commandCwd: process.cwd(), runbookEnv: {}, stepLogMaxLines: 100 },
      }),
      ...createChatActivities({ events: stack.backends.store, nlp: stack.core.nlp, backends: stack.core.backends, catalogue: catalogueOf([]), memory }),
    },
    workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! },
  });
  const running = worker.run();
  try {
    const sessionId = randomUUID();
    const input: ChatSessionInput = { sessionId, owner: { sub: 'olga', roles: ['operator'] }, options: DEFAULT_SESSION_OPTIONS };
    const handle = await stack.backends.client.workflow.start('chatSession', { taskQueue, workflowId: sessionStreamId(sessionId), args: [input] });
    const began = Date.now();
    const t1 = await sendDirect(sessionId, 'poison pill');
    const failed = await stack.waitForEvent(sessionId, (e) => e.type === 'turn.failed' && e.data.turnId === t1, 30_000);
    // Non-retryable: no waiting out five transcript attempts with back-off.
    expect(Date.now() - began).toBeLessThan(10_000);
    expect(failed.data).toMatchObject({ turnId: t1, failureType: PERMANENT_FAILURE.invalidData, error: expect.stringMatching(/SQLSTATE 22P02/) });
    const apology = await endOf(sessionId, t1);
    expect(apology.data).toMatchObject({ failed: true, text: expect.stringMatching(/^Sorry, I could not process that message/) });

    const t2 = await sendDirect(sessionId, 'status?');
    const reply = await endOf(sessionId, t2);
    expect(reply.data.failed).toBeUndefined();
    expect(String(reply.data.text).length).toBeGreaterThan(0);
    await handle.terminate('test finished');
  } finally {
    worker.shutdown();
    await running;
    await connection.close();
  }
});
