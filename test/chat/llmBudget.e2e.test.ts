import { startChatStack, TOKENS, type ChatStack } from './support/chatStack';
import { startFakeAnthropic, type FakeAnthropic } from './support/fakeAnthropic';

/**
 * The daily LLM token budget per subject (LLM_DAILY_TOKENS_PER_SUBJECT): once a subject has spent
 * it, its turns are answered by the rules (degraded, reason token_budget) without calling the
 * provider, while another subject's turns still reach the model.
 */
let stack: ChatStack;
let claude: FakeAnthropic;

beforeAll(async () => {
  claude = await startFakeAnthropic();
  stack = await startChatStack('llmbudget', {
    ANTHROPIC_API_KEY: claude.apiKey,
    ANTHROPIC_BASE_URL: claude.url,
    LLM_TIMEOUT_MS: '3000',
    LLM_DAILY_TOKENS_PER_SUBJECT: '1000',
    CHAT_CACHE_TTL_SECONDS: '1',
    CHAT_ANSWER_CACHE_TTL_SECONDS: '0',
  });
});
afterAll(async () => {
  await stack?.close();
  await claude?.close();
});

const classify = { kind: 'tool_use' as const, name: 'classify_request', input: { intent: 'GeneralQuery', confidence: 0.9, entities: [] } };

test('a subject past its daily tokens gets rule-based answers without a provider call; another subject still gets the model', async () => {
  const operatorSession = await stack.createSession(TOKENS.operator);
  // 900 + 10 and 200 + 40 tokens: the second call crosses the 1 000 allowance (it still completes).
  claude.queue.push({ ...classify, usage: { inputTokens: 900, outputTokens: 10 } });
  claude.queue.push({ kind: 'text', text: 'First answer from the model.', usage: { inputTokens: 200, outputTokens: 40 } });
  const first = await stack.say(TOKENS.operator, operatorSession, 'what does the copilot do?');
  expect(first.body.reply).toMatchObject({ source: 'llm', degraded: false });

  const calls = claude.requests.length;
  const second = await stack.say(TOKENS.operator, operatorSession, 'and what about runbooks?');
  expect(second.body.reply).toMatchObject({ degraded: true, degradedReason: 'token_budget' });
  expect(claude.requests.length).toBe(calls);

  // A new session of the same subject shares the allowance; another subject has its own.
  const again = await stack.createSession(TOKENS.operator);
  expect((await stack.say(TOKENS.operator, again, 'hello there, who are you?')).body.reply).toMatchObject({ degradedReason: 'token_budget' });
  const viewerSession = await stack.createSession(TOKENS.viewer);
  claude.queue.push({ ...classify, usage: { inputTokens: 50, outputTokens: 5 } });
  claude.queue.push({ kind: 'text', text: 'Hello from the model.', usage: { inputTokens: 50, outputTokens: 5 } });
  expect((await stack.say(TOKENS.viewer, viewerSession, 'hello there, who are you?')).body.reply).toMatchObject({ source: 'llm', degraded: false });
  expect(claude.requests.length).toBe(calls + 2);
});
