import { PrometheusClient } from '../../adapters/prometheusClient';
import { gatherMetrics } from '../../incidents/gather/gatherMetrics';
import { conclude } from '../../incidents/heuristics/conclusion';
import { blameLinksOf, formHypotheses, topHypothesis } from '../../incidents/heuristics/hypotheses';
import type { IncidentRepository } from '../../incidents/incidentRepository';
import type { GatherRequest } from '../../incidents/types';
import type { BackfillSeries } from '../../test/incidents/support/backfilledPrometheus';

/**
 * Scenarios on telemetry in other people's conventions, as Prometheus data (backfilled with
 * promtool into the real Debian Prometheus by the caller): OpenTelemetry and Micrometer names,
 * services named by `job`/`app`, redis_exporter and node_exporter families, community-style alert
 * expressions. Each knows its culprit component and cause; `runTelemetryScenarios` scores the
 * heuristic path (the gather + hypothesis code the workflow runs) on them.
 */

export interface TelemetryScenario {
  id: string;
  what: string;
  service?: string;
  alertExprs: string[];
  /** The component the top hypothesis must name, and a pattern its statement must contain (the cause). */
  culprit?: string;
  cause?: RegExp;
  /** Expected conclusion when there is nothing to find. */
  insufficient?: boolean;
}

export function telemetryData(pivot: number): BackfillSeries[] {
  const after = (v0: number, v1: number) => (t: number) => (t >= pivot ? v1 : v0);
  return [
    ...['payments-api', 'cart'].flatMap((job) => [
      { name: 'http_server_request_duration_seconds_count', labels: { scenario: 'otel', job, http_response_status_code: '200' }, value: () => 20, counter: true },
      {
        name: 'http_server_request_duration_seconds_count',
        labels: { scenario: 'otel', job, http_response_status_code: '500' },
        value: job === 'payments-api' ? after(0.02, 5) : () => 0.02,
        counter: true,
      },
    ]),
    { name: 'redis_up', labels: { scenario: 'otel', job: 'redis', instance: 'redis:9121' }, value: () => 1 },
    { name: 'redis_up', labels: { scenario: 'redis', job: 'redis', instance: 'redis:9121' }, value: after(1, 0) },
    { name: 'http_server_request_duration_seconds_count', labels: { scenario: 'redis', job: 'payments-api', http_response_status_code: '200' }, value: () => 20, counter: true },
    {
      name: 'http_server_request_duration_seconds_count',
      labels: { scenario: 'redis', job: 'payments-api', http_response_status_code: '500' },
      value: after(0.02, 3),
      counter: true,
    },
    ...['node1:9100', 'node2:9100'].flatMap((instance) => [
      { name: 'node_filesystem_size_bytes', labels: { scenario: 'disk', instance, job: 'node', mountpoint: '/data', fstype: 'ext4' }, value: () => 1e9 },
      {
        name: 'node_filesystem_avail_bytes',
        labels: { scenario: 'disk', instance, job: 'node', mountpoint: '/data', fstype: 'ext4' },
        value: instance === 'node1:9100' ? after(6e8, 1e7) : () => 6e8,
      },
    ]),
    ...['node1:9100', 'node2:9100'].flatMap((instance) =>
      ['0', '1'].map((cpu) => ({
        name: 'node_cpu_seconds_total',
        labels: { scenario: 'cpu', instance, job: 'node', cpu, mode: 'idle' },
        value: instance === 'node2:9100' ? after(0.9, 0.03) : () => 0.9,
        counter: true,
      })),
    ),
    ...['orders', 'billing'].flatMap((app) => [
      { name: 'http_server_requests_seconds_count', labels: { scenario: 'micrometer', app, status: '200', uri: '/api' }, value: () => 10, counter: true },
      {
        name: 'http_server_requests_seconds_count',
        labels: { scenario: 'micrometer', app, status: '503', uri: '/api' },
        value: app === 'orders' ? after(0.01, 4) : () => 0.01,
        counter: true,
      },
    ]),
    { name: 'pg_up', labels: { scenario: 'pg', job: 'postgres', instance: 'db:9187' }, value: () => 1 },
    { name: 'pg_settings_max_connections', labels: { scenario: 'pg', job: 'postgres', instance: 'db:9187' }, value: () => 100 },
    { name: 'pg_stat_activity_count', labels: { scenario: 'pg', job: 'postgres', instance: 'db:9187', state: 'active', datname: 'orders' }, value: after(10, 97) },
  ];
}

export const TELEMETRY_SCENARIOS: TelemetryScenario[] = [
  {
    id: 'otel-5xx',
    what: 'OTel HTTP metrics, service named by job, ratio alert',
    service: 'payments-api',
    alertExprs: [
      'sum by (job) (rate(http_server_request_duration_seconds_count{http_response_status_code=~"5.."}[5m])) / sum by (job) (rate(http_server_request_duration_seconds_count[5m])) > 0.05',
    ],
    culprit: 'payments-api',
    cause: /HTTP 5xx rate/,
  },
  {
    id: 'redis-down',
    what: 'Redis stopped (redis_exporter), the API in front fails too',
    service: 'redis',
    alertExprs: ['redis_up == 0'],
    culprit: 'redis',
    cause: /Redis is down/,
  },
  { id: 'disk-full', what: 'a filesystem filling (node_exporter), no alert expression', alertExprs: [], culprit: 'node1:9100', cause: /filesystem filling up/ },
  {
    id: 'cpu-hog',
    what: 'CPU hog on one host (node_exporter), community alert',
    alertExprs: ['100 - (avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[2m])) * 100) > 80'],
    culprit: 'node2:9100',
    cause: /host CPU busy/,
  },
  { id: 'micrometer-5xx', what: 'Micrometer metrics, service named by app', service: 'orders', alertExprs: [], culprit: 'orders', cause: /HTTP 5xx rate/ },
  {
    id: 'pg-connections',
    what: 'Postgres connections exhausted (postgres_exporter)',
    alertExprs: ['sum by (instance) (pg_stat_activity_count) > 80'],
    culprit: 'postgres',
    cause: /connections used/,
  },
  {
    id: 'no-telemetry',
    what: 'an alert for a service nobody exports',
    service: 'checkout',
    alertExprs: ['sum by (service) (rate(http_requests_total{service="checkout",status=~"5.."}[5m])) > 1'],
    insufficient: true,
  },
];

/** The scenario id is the `scenario` label of its data; no-telemetry looks in an empty scope. */
const SCOPE: Record<string, string> = {
  'otel-5xx': 'otel',
  'redis-down': 'redis',
  'disk-full': 'disk',
  'cpu-hog': 'cpu',
  'micrometer-5xx': 'micrometer',
  'pg-connections': 'pg',
  'no-telemetry': 'quiet',
};

export interface ScenarioRow {
  id: string;
  what: string;
  expected: string;
  got: string;
  confidence: number;
  componentRight: boolean;
  causeRight: boolean;
  queries: number;
  ms: number;
}

/** Evidence is only kept in memory here: the harness scores, it does not investigate for real. */
export function memoryRepo(): IncidentRepository {
  return { saveEvidence: async () => undefined } as unknown as IncidentRepository;
}

/** What the heuristic path found for one scenario: the gather's request and result, its hypotheses. */
export interface GatheredScenario {
  scenario: TelemetryScenario;
  req: GatherRequest;
  gathered: Awaited<ReturnType<typeof gatherMetrics>>;
  hypotheses: ReturnType<typeof formHypotheses>;
  ms: number;
}

/** The same gather + hypothesis code the workflow runs, on one scenario's scope of the backfilled data. */
export async function gatherScenario(s: TelemetryScenario, prometheusUrl: string, pivot: number, now: number, repo: IncidentRepository = memoryRepo()): Promise<GatheredScenario> {
  const req: GatherRequest = {
    incidentId: `eval-${s.id}-${now}`,
    round: 1,
    start: new Date((pivot - 30 * 60) * 1000).toISOString(),
    pivot: new Date(pivot * 1000).toISOString(),
    end: new Date(now * 1000).toISOString(),
    ...(s.service ? { service: s.service, serviceKnown: true } : {}),
    scope: { scenario: SCOPE[s.id]! },
    alertExprs: s.alertExprs,
    text: s.what,
  };
  const began = performance.now();
  const gathered = await gatherMetrics(new PrometheusClient({ url: prometheusUrl }), repo, req, { rateWindow: '2m' });
  const hypotheses = formHypotheses(
    gathered.signals,
    [],
    blameLinksOf(
      s.service,
      s.alertExprs.map((expr) => ({ labels: {}, expr })),
    ),
  );
  return { scenario: s, req, gathered, hypotheses, ms: performance.now() - began };
}

export async function runTelemetryScenarios(prometheusUrl: string, pivot: number, now: number, repo: IncidentRepository = memoryRepo()): Promise<ScenarioRow[]> {
  const rows: ScenarioRow[] = [];
  for (const s of TELEMETRY_SCENARIOS) {
    const { gathered, hypotheses, ms } = await gatherScenario(s, prometheusUrl, pivot, now, repo);
    const top = topHypothesis(hypotheses);
    const conclusion = conclude({ hypotheses, queries: gathered.queries, missing: gathered.missing, ...(s.service ? { service: s.service } : {}) });
    const expected = s.insufficient ? 'insufficient evidence' : `${s.culprit} (${s.cause?.source})`;
    const componentRight = s.insufficient ? conclusion.result === 'insufficient_evidence' : top?.service === s.culprit;
    const causeRight = s.insufficient ? conclusion.missing.length > 0 : Boolean(top && s.cause?.test(top.statement));
    rows.push({
      id: s.id,
      what: s.what,
      expected,
      got: top ? top.service : conclusion.result,
      confidence: top?.confidence ?? 0,
      componentRight,
      causeRight,
      queries: gathered.queries.length,
      ms,
    });
  }
  return rows;
}
