import { AnthropicProvider } from '../../llm/anthropicProvider';
import { LlmError } from '../../llm/llmErrors';
import { LlmRouter } from '../../llm/llmRouter';
import { OpenAiCompatibleProvider } from '../../llm/openAiCompatibleProvider';
import { textOf, toolUses } from '../../llm/types';
import { startFakeAnthropic, type FakeAnthropic } from './support/fakeAnthropic';
import { startFakeOpenAi, type FakeOpenAi } from './support/fakeOpenAi';

/** The real SDK path against the fake Messages API, the OpenAI-compatible provider, and the router. */
let anthropic: FakeAnthropic;
let local: FakeOpenAi;

beforeAll(async () => {
  anthropic = await startFakeAnthropic();
  local = await startFakeOpenAi();
});
afterAll(async () => {
  await anthropic.close();
  await local.close();
});
beforeEach(() => {
  anthropic.queue.length = 0;
  anthropic.requests.length = 0;
  local.failWith = undefined;
});

const claude = (timeoutMs = 3000, apiKey = 'sk-ant-test-0123456789') =>
  new AnthropicProvider({ apiKey, baseURL: anthropic.url, model: 'claude-sonnet-5-5', cheapModel: 'claude-haiku-5-5', timeoutMs });
const request = { system: 'be brief', messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'hello' }] }], maxTokens: 100 };
const signal = () => AbortSignal.timeout(5000);

test('streams text deltas as they arrive, with usage, through the real SDK', async () => {
  anthropic.queue.push({ kind: 'text', text: 'p95 latency is 230 ms.', chunk: 3 });
  const deltas: string[] = [];
  const res = await claude().complete(request, { onText: (d) => deltas.push(d) }, signal());
  expect(deltas.length).toBeGreaterThan(3);
  expect(deltas.join('')).toBe('p95 latency is 230 ms.');
  expect(textOf(res)).toBe('p95 latency is 230 ms.');
  expect(res.usage.inputTokens).toBeGreaterThan(0);
  expect(res.usage.outputTokens).toBeGreaterThan(0);
  const sent = anthropic.requests[0]!;
  expect(sent.body.stream).toBe(true);
  expect(sent.headers['anthropic-version']).toBeTruthy();
  expect(sent.headers['x-api-key'] ?? sent.headers.authorization).toBeTruthy();
});

test('the fake accepts both auth header styles and refuses others with a 401 error body', async () => {
  const body = JSON.stringify({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] });
  const headers = { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' };
  const byKey = await fetch(`${anthropic.url}/v1/messages`, { method: 'POST', headers: { ...headers, 'x-api-key': anthropic.apiKey }, body });
  const byBearer = await fetch(`${anthropic.url}/v1/messages`, { method: 'POST', headers: { ...headers, authorization: `Bearer ${anthropic.apiKey}` }, body });
  const bad = await fetch(`${anthropic.url}/v1/messages`, { method: 'POST', headers: { ...headers, 'x-api-key': 'nope' }, body });
  expect([byKey.status, byBearer.status, bad.status]).toEqual([200, 200, 401]);
  expect(await bad.json()).toEqual({ type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } });
  await expect(claude(3000, 'wrong-key').complete(request, {}, signal())).rejects.toMatchObject({ kind: 'auth' });
});

test('tool_use input arrives as input_json_delta fragments and is parsed whole; the cheap tier picks the cheap model', async () => {
  const input = { intent: 'MetricQuery', confidence: 0.9, entities: [{ type: 'service', value: 'checkout' }] };
  anthropic.queue.push({ kind: 'tool_use', name: 'classify_request', input });
  const res = await claude().complete(
    { ...request, tier: 'cheap', tools: [{ name: 'classify_request', description: 'd', inputSchema: { type: 'object' } }], toolChoice: { type: 'tool', name: 'classify_request' } },
    {},
    signal(),
  );
  expect(toolUses(res)).toEqual([{ type: 'tool_use', id: expect.stringMatching(/^toolu_/), name: 'classify_request', input }]);
  expect(res.stopReason).toBe('tool_use');
  expect(anthropic.requests[0]!.body.model).toBe('claude-haiku-5-5');
  expect(anthropic.requests[0]!.body.tool_choice).toEqual({ type: 'tool', name: 'classify_request' });
});

test.each([
  [400, 'invalid_request_error', 'bad_request'],
  [429, 'rate_limit_error', 'rate_limited'],
  [529, 'overloaded_error', 'overloaded'],
])('HTTP %i (%s) becomes an LlmError of kind %s', async (status, type, kind) => {
  anthropic.queue.push({ kind: 'error', status, type });
  await expect(claude().complete(request, {}, signal())).rejects.toMatchObject({ kind });
});

test('an overloaded error in the middle of a stream fails the call after the first deltas', async () => {
  anthropic.queue.push({ kind: 'midStreamError', text: 'The error rate is' });
  const deltas: string[] = [];
  const err = await claude()
    .complete(request, { onText: (d) => deltas.push(d) }, signal())
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(LlmError);
  expect((err as LlmError).kind).toBe('overloaded');
  expect(deltas.join('')).toBe('The error rate is');
});

test('the OpenAI-compatible provider streams text and tool calls from data: chunks and [DONE]', async () => {
  const provider = new OpenAiCompatibleProvider({ baseURL: local.url, model: 'local-model', timeoutMs: 3000 });
  local.reply = () => ({ text: 'all good here' });
  const deltas: string[] = [];
  const res = await provider.complete(request, { onText: (d) => deltas.push(d) }, signal());
  expect(deltas.join('')).toBe('all good here');
  expect(deltas.length).toBe(3);
  expect(res.usage).toEqual({ inputTokens: 12, outputTokens: 5 });
  local.reply = () => ({ tool: { name: 'run_query', arguments: { language: 'promql', query: 'up' } } });
  const tool = await provider.complete({ ...request, tools: [{ name: 'run_query', description: 'd', inputSchema: { type: 'object' } }] }, {}, signal());
  expect(toolUses(tool)).toEqual([{ type: 'tool_use', id: 'call_1', name: 'run_query', input: { language: 'promql', query: 'up' } }]);
  expect(tool.stopReason).toBe('tool_use');
  await expect(provider.health(signal())).resolves.toBeUndefined();
});

test('the router falls back in order on 529, opens the circuit, and times out a hanging provider', async () => {
  const router = new LlmRouter([claude(400), new OpenAiCompatibleProvider({ baseURL: local.url, model: 'local-model', timeoutMs: 3000 })], {
    timeoutMs: 400,
    breakerThreshold: 2,
    halfOpenAfterMs: 60_000,
    unhealthyForMs: 0,
  });
  local.reply = () => ({ text: 'from the local model' });
  anthropic.queue.push({ kind: 'error', status: 529, type: 'overloaded_error' }, { kind: 'error', status: 529, type: 'overloaded_error' });
  expect(textOf(await router.complete(request))).toBe('from the local model');
  expect(textOf(await router.complete(request))).toBe('from the local model');
  expect(router.status()[0]).toMatchObject({ name: 'anthropic', circuit: 'open' });
  const before = anthropic.requests.length;
  expect(textOf(await router.complete(request))).toBe('from the local model');
  expect(anthropic.requests.length).toBe(before); // open circuit: not even tried

  const lone = new LlmRouter([claude(10_000)], { timeoutMs: 300, breakerThreshold: 5, halfOpenAfterMs: 1000, unhealthyForMs: 0 });
  anthropic.queue.push({ kind: 'hang' });
  const started = Date.now();
  await expect(lone.complete(request)).rejects.toMatchObject({ kind: 'timeout' });
  expect(Date.now() - started).toBeLessThan(2000);
});

test('health checks mark a dead provider unhealthy so it is skipped, and healthy again when it recovers', async () => {
  const localProvider = new OpenAiCompatibleProvider({ baseURL: local.url, model: 'local-model', timeoutMs: 2000 });
  const router = new LlmRouter([localProvider, claude()], { timeoutMs: 2000, breakerThreshold: 5, halfOpenAfterMs: 1000, unhealthyForMs: 60_000 });
  local.failWith = 503;
  expect((await router.checkHealth()).map((s) => s.healthy)).toEqual([false, true]);
  anthropic.queue.push({ kind: 'text', text: 'from claude' });
  expect(textOf(await router.complete(request))).toBe('from claude');
  local.failWith = undefined;
  expect((await router.checkHealth()).map((s) => s.healthy)).toEqual([true, true]);
});
