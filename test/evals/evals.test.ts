import { PrometheusClient } from '../../adapters/prometheusClient';
import { Grounding } from '../../chat/query/grounding';
import { checkGeneratedQueries } from '../../evals/understanding/checkQueries';
import { HELD_OUT_UTTERANCES } from '../../evals/understanding/heldOut';
import { TUNING_UTTERANCES } from '../../evals/understanding/tuning';
import { runTelemetryScenarios, telemetryData, TELEMETRY_SCENARIOS } from '../../evals/scenarios/telemetryScenarios';
import { seriesOpenMetrics, startBackfilledPrometheus, type BackfilledPrometheus } from '../incidents/support/backfilledPrometheus';
import { loadConfig } from '../../config/env';
import { fakeInvestigator, runLlmTelemetryScenarios } from '../../evals/scenarios/llmScenarios';
import { HYPOTHESES_TOOL } from '../../incidents/llmHypotheses';
import { startFakeAnthropic } from '../chat/support/fakeAnthropic';

/**
 * The two `npm run evals` parts that need a real Prometheus: every query generated for the
 * labelled set parses and (PromQL) executes; the scenario table's heuristic figures.
 */
const NOW = Math.floor(Date.now() / 1000);
const PIVOT = NOW - 40 * 60;
let prom: BackfilledPrometheus;

beforeAll(async () => {
  prom = await startBackfilledPrometheus(seriesOpenMetrics(telemetryData(PIVOT), PIVOT - 3600, NOW - 300));
}, 60_000);
afterAll(async () => {
  await prom?.stop();
});

test('every generated query parses; every PromQL one runs on the real self-scraping Prometheus', async () => {
  const client = new PrometheusClient({ url: process.env.TEST_PROMETHEUS_URL!, timeoutMs: 5000 });
  const result = await checkGeneratedQueries([...TUNING_UTTERANCES, ...HELD_OUT_UTTERANCES], new Grounding({ prometheus: client }), client);
  expect(result.invalid).toEqual([]);
  expect(result.promqlFailed).toEqual([]);
  expect(result.promqlRun).toBeGreaterThan(100);
}, 120_000);

test('scenarios on other conventions: every top hypothesis names the right component and cause', async () => {
  const rows = await runTelemetryScenarios(prom.url, PIVOT, NOW);
  expect(rows.map((r) => r.id)).toEqual(TELEMETRY_SCENARIOS.map((s) => s.id));
  expect(rows.filter((r) => !r.componentRight || !r.causeRight)).toEqual([]);
  for (const r of rows) expect(r.queries).toBeGreaterThan(0);
}, 60_000);

test('the LLM path of the scenarios drives a provider through the whole hypothesis step (FAKE Messages API: wiring only)', async () => {
  const fake = await startFakeAnthropic();
  try {
    fake.fallback = (body: Parameters<typeof fakeInvestigator>[0]) => fakeInvestigator(body);
    const scenarios = TELEMETRY_SCENARIOS.filter((s) => s.id === 'redis-down' || s.id === 'no-telemetry');
    const rows = await runLlmTelemetryScenarios(loadConfig({ ANTHROPIC_API_KEY: fake.apiKey, ANTHROPIC_BASE_URL: fake.url }), prom.url, PIVOT, NOW, scenarios);
    expect(rows.map((r) => [r.provider, r.id])).toEqual([
      ['anthropic', 'redis-down'],
      ['anthropic', 'no-telemetry'],
    ]);
    // The fake ran one query through the real Prometheus, then reported; the step accepted its evidence ids.
    expect(rows[0]).toMatchObject({ got: 'redis', componentRight: true, causeRight: true, llmQueries: 1 });
    expect(rows[0]!.failure).toBeUndefined();
    expect(rows[0]!.tokens).toBeGreaterThan(0);
    // Nothing to blame: the fake reports no hypothesis, which is the right answer there.
    expect(rows[1]).toMatchObject({ got: 'no hypothesis', componentRight: true });
    // Two turns per scenario: a query, then the report, with the query tool and the report tool offered.
    const calls = fake.requests.filter((r) => r.path === '/v1/messages');
    expect(calls).toHaveLength(4);
    for (const c of calls) expect((c.body.tools as { name: string }[]).map((t) => t.name)).toEqual(expect.arrayContaining(['query_prometheus', HYPOTHESES_TOOL]));
    // What the model is shown never names the answer: the title is the alert, not the scenario's description.
    const prompt = JSON.stringify(fake.requests[0]!.body.messages[0]);
    expect(prompt).toContain('redis_up == 0');
    expect(prompt).not.toContain('Redis stopped');
  } finally {
    await fake.close();
  }
}, 60_000);
