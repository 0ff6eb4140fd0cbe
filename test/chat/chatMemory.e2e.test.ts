import { startChatStack, TOKENS, type ChatStack } from './support/chatStack';
import { startFakeAnthropic, type FakeAnthropic } from './support/fakeAnthropic';

/**
 * Chat with the Memory module enabled, end to end: the real MemoryService (Postgres medium-term,
 * Redis short-term via TEST_REDIS_URL) wired into the session service and the chat activities, and
 * the model behind the fake Messages API. An explicit preference taught in one session changes an
 * answer in a new session of the same user; a user's e-mail address is redacted in everything that
 * reaches memory, the model, the event log and the logs, and restored only for its owner.
 */
let stack: ChatStack;
let claude: FakeAnthropic;

const EMAIL = 'olga.petrova@example.com';
const PREFERENCE = 'we call the checkout service checkout-svc';

/** The fake model: classifies by keywords, and (like a real one) uses the team's name when the prompt's memory says so. */
function model(body: any) {
  const prompt = JSON.stringify(body.messages);
  if (body.tool_choice?.name === 'classify_request') {
    const request = /Request: (.*)$/s.exec(String(body.messages?.[0]?.content?.[0]?.text ?? ''))?.[1] ?? '';
    if (/remember/i.test(request)) return { kind: 'tool_use' as const, name: 'classify_request', input: { intent: 'GeneralQuery', confidence: 0.9, entities: [] } };
    return {
      kind: 'tool_use' as const,
      name: 'classify_request',
      input: {
        intent: 'MetricQuery',
        confidence: 0.93,
        entities: [
          { type: 'service', value: 'checkout' },
          { type: 'metric', value: 'latency' },
          { type: 'percentile', value: '0.95' },
        ],
      },
    };
  }
  if (/remember/i.test(prompt) && !prompt.includes('preference:')) return { kind: 'text' as const, text: 'Noted.' };
  const name = prompt.includes(PREFERENCE) ? 'checkout-svc' : 'the checkout service';
  return { kind: 'text' as const, text: `p95 latency of ${name}: no samples in the last hour.` };
}

beforeAll(async () => {
  claude = await startFakeAnthropic();
  claude.fallback = model;
  stack = await startChatStack(
    'chatmem',
    { ANTHROPIC_API_KEY: claude.apiKey, ANTHROPIC_BASE_URL: claude.url, LLM_TIMEOUT_MS: '3000', LLM_BREAKER_THRESHOLD: '5', LLM_BREAKER_HALF_OPEN_MS: '600000' },
    { memory: true },
  );
});
afterAll(async () => {
  await stack?.close();
  await claude?.close();
});

test('memory is the real module: Redis short-term, Postgres medium-term, LLM summariser', () => {
  expect(stack.memory?.backends.shortTerm).toBe('redis');
  expect(stack.logs.join('')).toContain('"summariser":"llm"');
});

test('"remember that we call the checkout service checkout-svc" changes a later answer in a new session of the same user', async () => {
  const before = await stack.createSession(TOKENS.operator);
  const first = await stack.say(TOKENS.operator, before, 'what is the p95 latency of the checkout service?');
  expect(first.body.reply).toMatchObject({ source: 'llm', degraded: false });
  expect(first.body.reply.text).toBe('p95 latency of the checkout service: no samples in the last hour.');

  const taught = await stack.say(TOKENS.operator, before, `remember that ${PREFERENCE}`);
  expect(taught.status).toBe(200);
  const stored = await stack.memory!.search({ q: 'checkout service name', kinds: ['preference'], limit: 5 });
  expect(stored.map((m) => m.text)).toContain(PREFERENCE);

  const later = await stack.createSession(TOKENS.operator);
  const answer = await stack.say(TOKENS.operator, later, 'what is the p95 latency of the checkout service?');
  expect(answer.body.reply.text).toBe('p95 latency of checkout-svc: no samples in the last hour.');
  // It changed because the new session's prompt carried the long-term preference.
  const write = [...claude.requests].reverse().find((r) => r.path === '/v1/messages' && !r.body.tool_choice)!;
  expect(write.body.messages[0].content[0].text).toContain(`preference: ${PREFERENCE}`);
});

test('an e-mail address is redacted in memory, prompts, events and logs; the owner sees it restored', async () => {
  const id = await stack.createSession(TOKENS.operator);
  const sent = claude.requests.length;
  const res = await stack.say(TOKENS.operator, id, `page me at ${EMAIL} if the p95 latency of checkout is high`);
  expect(res.status).toBe(200);
  const follow = await stack.say(TOKENS.operator, id, 'and the p95 latency of checkout now?');
  expect(follow.status).toBe(200);

  // The event log (and so SSE) carries the placeholder.
  const events = await stack.events(id);
  const started = events.find((e) => e.type === 'turn.started')!;
  expect(started.data.content).toBe('page me at <EMAIL_1> if the p95 latency of checkout is high');
  expect(JSON.stringify(events)).not.toContain(EMAIL);

  // The model never saw it; the second turn's prompt carries the remembered (redacted) turn.
  const prompts = claude.requests.slice(sent).map((r) => JSON.stringify(r.body));
  expect(prompts.length).toBeGreaterThanOrEqual(3);
  for (const p of prompts) expect(p).not.toContain(EMAIL);
  expect(prompts.some((p) => p.includes('page me at <EMAIL_1>'))).toBe(true);

  // Memory: the medium-term transcript (Postgres) and short-term turns (Redis) hold placeholders.
  const rows = await stack.backends.db.query<{ content: string }>('select content from memory_messages where session_id = $1', [id]);
  expect(rows.length).toBeGreaterThanOrEqual(2);
  expect(rows.some((r) => r.content.includes('<EMAIL_1>'))).toBe(true);
  expect(JSON.stringify(rows)).not.toContain(EMAIL);
  const ctx = await stack.memory!.retrieveContext(id, 'latency of checkout');
  expect(ctx.items.some((i) => i.source === 'turn' && i.text.includes('<EMAIL_1>'))).toBe(true);
  expect(JSON.stringify(ctx)).not.toContain(EMAIL);

  // Logs.
  expect(stack.logs.join('')).not.toContain(EMAIL);

  // The owner's transcript restores their own value; nobody else can read it.
  const messages = await stack.call('GET', `/api/v1/sessions/${id}/messages?limit=50`, { token: TOKENS.operator });
  expect(messages.status).toBe(200);
  expect(messages.body.items[0]).toMatchObject({ role: 'user', content: `page me at ${EMAIL} if the p95 latency of checkout is high` });
  expect((await stack.call('GET', `/api/v1/sessions/${id}/messages`, { token: TOKENS.viewer })).status).toBe(404);
});
