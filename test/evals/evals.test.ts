import { PrometheusClient } from '../../adapters/prometheusClient';
import { Grounding } from '../../chat/query/grounding';
import { checkGeneratedQueries } from '../../evals/understanding/checkQueries';
import { HELD_OUT_UTTERANCES } from '../../evals/understanding/heldOut';
import { TUNING_UTTERANCES } from '../../evals/understanding/tuning';
import { runTelemetryScenarios, telemetryData, TELEMETRY_SCENARIOS } from '../../evals/scenarios/telemetryScenarios';
import { seriesOpenMetrics, startBackfilledPrometheus, type BackfilledPrometheus } from '../incidents/support/backfilledPrometheus';

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
