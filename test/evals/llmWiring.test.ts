import { loadConfig } from '../../config/env';
import { scoreLlmUnderstanding } from '../../evals/understanding/llmUnderstanding';
import { HELD_OUT_UTTERANCES } from '../../evals/understanding/heldOut';
import { startFakeAnthropic, type FakeAnthropic } from '../chat/support/fakeAnthropic';

/**
 * The evals' LLM path is wired to real providers: against the FAKE Anthropic Messages API (the
 * vendor's wire format, not Anthropic), each held-out utterance goes through the chat's NlpEngine
 * as one forced `classify_request` tool call, and the model's answer (not the rules') is scored.
 */
let fake: FakeAnthropic;
beforeAll(async () => {
  fake = await startFakeAnthropic();
});
afterAll(async () => {
  await fake?.close();
});

test("one row per configured provider, scored on the model's own answers", async () => {
  fake.fallback = () => ({ kind: 'tool_use', name: 'classify_request', input: { intent: 'ServiceHealth', confidence: 0.9, entities: [{ type: 'service', value: 'checkout' }] } });
  const set = HELD_OUT_UTTERANCES.filter(([, intent]) => intent === 'ServiceHealth').slice(0, 5);
  const rows = await scoreLlmUnderstanding(loadConfig({ ANTHROPIC_API_KEY: fake.apiKey, ANTHROPIC_BASE_URL: fake.url }), set);
  expect(rows).toHaveLength(1);
  expect(rows[0]).toMatchObject({ provider: 'anthropic', n: 5, answeredByLlm: 5, degraded: 0, accuracy: 1 });
  // "@copilot is checkout ok?" is the first: its entity is right, the others' services are not.
  expect(rows[0]!.f1).toBeGreaterThan(0);
  expect(rows[0]!.f1).toBeLessThan(1);
  const calls = fake.requests.filter((r) => r.path === '/v1/messages');
  expect(calls).toHaveLength(5);
  expect(calls[0]!.body.tool_choice).toMatchObject({ type: 'tool', name: 'classify_request' });
});

test('no provider configured: no rows (the harness says "skipped")', async () => {
  expect(await scoreLlmUnderstanding(loadConfig({}), HELD_OUT_UTTERANCES.slice(0, 3))).toEqual([]);
});
