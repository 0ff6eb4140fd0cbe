import { LokiClient } from '../../adapters/lokiClient';
import { PrometheusClient } from '../../adapters/prometheusClient';
import { TempoClient } from '../../adapters/tempoClient';
import { gatherDeploys } from '../../incidents/gather/gatherContext';
import { gatherLogs } from '../../incidents/gather/gatherLogs';
import { gatherMetrics } from '../../incidents/gather/gatherMetrics';
import { gatherTraces } from '../../incidents/gather/gatherTraces';
import { formHypotheses, topHypothesis } from '../../incidents/heuristics/hypotheses';
import { IncidentRepository } from '../../incidents/incidentRepository';
import type { GatherRequest } from '../../incidents/types';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase';
import { countersOpenMetrics, startBackfilledPrometheus, type BackfilledPrometheus } from './support/backfilledPrometheus';
import { startFakeLoki, type FakeStream } from './support/fakeLoki';
import { startFakeTempo, type FakeTrace } from './support/fakeTempo';
import { chainTraces, logsFor, tracesFor } from './support/scenarioData';
import { SqlEventStore } from '../../db/eventStore';

/**
 * The scenario set: Prometheus data backfilled into the real server (promtool), Loki/Tempo
 * fixtures on the fakes, recent runs in the run log. Each scenario has a known root-cause service;
 * the deterministic heuristic path (the same gather + hypothesis code the workflow runs) is scored.
 */
interface Scenario {
  id: string;
  culprit: string;
  services: string[];
  /** Services whose 5xx rate rises after the pivot (the culprit, or a symptom upstream). */
  errorsRise: string[];
  logs?: (pivot: Date) => FakeStream[];
  traces?: (pivot: Date) => FakeTrace[];
  deploys?: { service: string; minutesBefore: number; version: string }[];
}

const NOW = Math.floor(Date.now() / 1000);
const PIVOT = NOW - 40 * 60;
const pivotDate = new Date(PIVOT * 1000);

const SCENARIOS: Scenario[] = [
  {
    id: 's1',
    culprit: 'checkout',
    services: ['checkout', 'cart', 'search'],
    errorsRise: ['checkout'],
    logs: (p) => logsFor('checkout', 'search', p),
    traces: (p) => tracesFor('checkout', 'gateway', p),
  },
  { id: 's2', culprit: 'payments', services: ['payments', 'search'], errorsRise: ['payments'], deploys: [{ service: 'payments', minutesBefore: 8, version: 'v42' }] },
  {
    id: 's3',
    culprit: 'inventory',
    services: ['frontend', 'inventory'],
    errorsRise: ['frontend'],
    logs: (p) => logsFor('inventory', 'frontend', p),
    traces: (p) => tracesFor('inventory', 'frontend', p),
  },
  { id: 's4', culprit: 'auth', services: ['auth', 'profile'], errorsRise: [], logs: (p) => logsFor('auth', 'profile', p) },
  {
    id: 's5',
    culprit: 'orders',
    services: ['orders', 'search'],
    errorsRise: ['orders'],
    logs: (p) => logsFor('orders', 'search', p),
    deploys: [{ service: 'search', minutesBefore: 15, version: 'v7' }],
  },
  {
    id: 's6',
    culprit: 'cart',
    services: ['cart', 'checkout'],
    errorsRise: [],
    traces: (p) => tracesFor('cart', 'checkout', p),
    deploys: [{ service: 'cart', minutesBefore: 5, version: 'v3' }],
  },
  // Added with the error-origin heuristic, to check it both ways: a three-level chain whose two
  // callers' error rates rise (origin at the bottom), and a caller failing on its own while its
  // healthy callee logs new errors (the origin is the caller).
  { id: 's7', culprit: 'dbproxy', services: ['gateway', 'api', 'dbproxy'], errorsRise: ['gateway', 'api'], traces: (p) => chainTraces(['gateway', 'api', 'dbproxy'], 2, p) },
  {
    id: 's8',
    culprit: 'frontend',
    services: ['frontend', 'catalog'],
    errorsRise: ['frontend'],
    logs: (p) => logsFor('catalog', 'search', p),
    traces: (p) => chainTraces(['frontend', 'catalog'], 0, p, { propagates: false }),
  },
];

let prom: BackfilledPrometheus;
let db: TestDatabase;

beforeAll(async () => {
  const series = SCENARIOS.flatMap((s) =>
    s.services.flatMap((service) => [
      { labels: { scenario: s.id, service, status: '200' }, ratePerSec: () => 20 },
      { labels: { scenario: s.id, service, status: '500' }, ratePerSec: (t: number) => (s.errorsRise.includes(service) && t >= PIVOT ? 4 : 0.05) },
    ]),
  );
  prom = await startBackfilledPrometheus(countersOpenMetrics(series, PIVOT - 60 * 60, NOW - 5 * 60));
  db = await createTestDatabase('scen');
}, 60_000);
afterAll(async () => {
  await prom?.stop();
  await db?.drop();
});

test('heuristic root-cause accuracy on the scenario set', async () => {
  const repo = new IncidentRepository(db.db);
  const store = new SqlEventStore(db.db);
  const client = new PrometheusClient({ url: prom.url });
  const results: { id: string; expected: string; got: string | undefined; confidence: number }[] = [];
  for (const s of SCENARIOS) {
    await db.db.query('delete from run_events');
    for (const d of s.deploys ?? []) {
      const runId = `run-${s.id}-${d.service}`;
      await store.append(runId, [{ type: 'run.started', dedupeKey: 'x', data: { runbook: 'deploy-service', params: { service: d.service, version: d.version } } }]);
      await db.db.query('update run_events set created_at = $1 where stream_id = $2', [new Date((PIVOT - d.minutesBefore * 60) * 1000).toISOString(), runId]);
    }
    // Streams carry the scenario label like the metrics do: the investigation scopes every selector.
    const loki = await startFakeLoki((s.logs?.(pivotDate) ?? []).map((x) => ({ ...x, stream: { ...x.stream, scenario: s.id } })));
    const tempo = await startFakeTempo(s.traces?.(pivotDate) ?? []);
    const req: GatherRequest = {
      incidentId: `inc-${s.id}`,
      round: 1,
      start: new Date((PIVOT - 30 * 60) * 1000).toISOString(),
      pivot: pivotDate.toISOString(),
      end: new Date(NOW * 1000).toISOString(),
      scope: { scenario: s.id },
      alertExprs: [],
      text: s.id,
    };
    const gathered = await Promise.all([
      gatherMetrics(client, repo, req, { rateWindow: '2m' }),
      gatherLogs(new LokiClient({ url: loki.url }), repo, req),
      gatherTraces(new TempoClient({ url: tempo.url }), repo, req),
      gatherDeploys(repo, req),
    ]);
    await loki.close();
    await tempo.close();
    expect(gathered.flatMap((g) => g.missing)).toEqual([]);
    const top = topHypothesis(formHypotheses(gathered.flatMap((g) => g.signals)));
    results.push({ id: s.id, expected: s.culprit, got: top?.service, confidence: top?.confidence ?? 0 });
  }
  const correct = results.filter((r) => r.got === r.expected).length;
  process.stdout.write(
    `\nscenario set (heuristic path): ${correct}/${results.length} correct\n${results.map((r) => `  ${r.id}: expected ${r.expected}, got ${r.got ?? '-'} (${r.confidence})`).join('\n')}\n`,
  );
  // A regression guard at the measured figure (see incidents/README.md).
  expect(correct).toBeGreaterThanOrEqual(8);
}, 90_000);
