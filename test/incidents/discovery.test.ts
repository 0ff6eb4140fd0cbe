import { PrometheusClient } from '../../adapters/prometheusClient';
import { SqlEventStore } from '../../db/eventStore';
import { applicableQueries, renderQuery } from '../../incidents/catalogue/render';
import { decomposeAlertExpression } from '../../incidents/discovery/alertExpression';
import { gatherDeploys } from '../../incidents/gather/gatherContext';
import { gatherMetrics } from '../../incidents/gather/gatherMetrics';
import { conclude } from '../../incidents/heuristics/conclusion';
import { blameLinksOf, formHypotheses, topHypothesis } from '../../incidents/heuristics/hypotheses';
import { IncidentRepository } from '../../incidents/incidentRepository';
import type { GatherRequest, Signal } from '../../incidents/types';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase';
import { telemetryData } from '../../evals/scenarios/telemetryScenarios';
import { seriesOpenMetrics, startBackfilledPrometheus, type BackfilledPrometheus } from './support/backfilledPrometheus';

/**
 * Discovery before gathering, on telemetry nobody prepared for us: OpenTelemetry and Micrometer
 * metric names, services named by `job` or `app`, redis_exporter and node_exporter families, and
 * community-style alert expressions — backfilled into the real Prometheus. Plus the pure parts:
 * alert-expression decomposition, evidence-linked blame, the always-a-conclusion rule.
 */
const NOW = Math.floor(Date.now() / 1000);
const PIVOT = NOW - 40 * 60;
// The evals' scenario data (evals/scenarios/telemetryScenarios.ts), each scenario under its own `scenario` label.
const DATA = telemetryData(PIVOT);

let prom: BackfilledPrometheus;
let db: TestDatabase;
let repo: IncidentRepository;

beforeAll(async () => {
  prom = await startBackfilledPrometheus(seriesOpenMetrics(DATA, PIVOT - 60 * 60, NOW - 5 * 60));
  db = await createTestDatabase('disc');
  repo = new IncidentRepository(db.db);
}, 60_000);
afterAll(async () => {
  await prom?.stop();
  await db?.drop();
});

function request(id: string, scenario: string, options: { service?: string; alertExprs?: string[] } = {}): GatherRequest {
  return {
    incidentId: `inc-disc-${id}`,
    round: 1,
    start: new Date((PIVOT - 30 * 60) * 1000).toISOString(),
    pivot: new Date(PIVOT * 1000).toISOString(),
    end: new Date(NOW * 1000).toISOString(),
    ...(options.service ? { service: options.service, serviceKnown: true } : {}),
    scope: { scenario },
    alertExprs: options.alertExprs ?? [],
    text: id,
  };
}

async function investigate(req: GatherRequest) {
  const gathered = await gatherMetrics(new PrometheusClient({ url: prom.url }), repo, req, { rateWindow: '2m' });
  const hypotheses = formHypotheses(gathered.signals, [], blameLinksOf(req.service, []));
  return {
    ...gathered,
    hypotheses,
    top: topHypothesis(hypotheses),
    conclusion: conclude({ hypotheses, queries: gathered.queries, missing: gathered.missing, ...(req.service ? { service: req.service } : {}) }),
  };
}

describe('the real Prometheus, telemetry in other conventions', () => {
  test('OTel names, service named by job: the alert ratio is decomposed and the service matched by its job label', async () => {
    const expr =
      'sum by (job) (rate(http_server_request_duration_seconds_count{http_response_status_code=~"5.."}[5m])) / sum by (job) (rate(http_server_request_duration_seconds_count[5m])) > 0.05';
    const r = await investigate(request('otel', 'otel', { service: 'payments-api', alertExprs: [expr] }));
    expect(r.missing).toEqual([]);
    expect(r.top?.service).toBe('payments-api');
    expect(r.top?.statement).toMatch(/HTTP 5xx rate/);
    expect(r.top?.statement).toMatch(/drives the alert: job="payments-api"/);
    const queries = r.queries.map((q) => q.query);
    // Discovery (vocabulary; the service's candidate selectors, on labels the target has), then a and b of `a / b > 0.05` on their own.
    expect(queries).toEqual(expect.arrayContaining(['label_values(__name__)', expect.stringMatching(/^series\(.*\{job="payments-api",scenario="otel"\}/)]));
    const [a, b] = decomposeAlertExpression(expr).parts;
    expect(queries).toEqual(expect.arrayContaining([expr, a, b, expect.stringMatching(/^series\(http_server_request_duration_seconds_count/)]));
    // Only families that exist were queried: OTel errors and redis, not the project's http_requests_total.
    expect(queries.some((q) => q.includes('http_requests_total'))).toBe(false);
    expect(queries.some((q) => q.includes('redis_up'))).toBe(true);
    expect(r.hypotheses.some((h) => h.service === 'cart' || h.service === 'redis')).toBe(false);
    expect(r.conclusion.result).toBe('hypotheses');
  });

  test('Redis stopped: redis_exporter names Redis as the cause, not the API failing in front of it', async () => {
    const r = await investigate(request('redis', 'redis', { service: 'redis', alertExprs: ['redis_up == 0'] }));
    expect(r.top?.service).toBe('redis');
    expect(r.top?.statement).toMatch(/Redis is down \(redis_up = 0\) 1\.00 → 0\.00/);
    expect(r.top?.statement).toMatch(/drives the alert: job="redis", instance="redis:9121"/);
    expect(r.hypotheses.find((h) => h.service === 'payments-api')!.confidence).toBeLessThan(r.top!.confidence);
  });

  test('a filling filesystem (node_exporter), found without any alert expression: the instance and mountpoint', async () => {
    const r = await investigate(request('disk', 'disk'));
    expect(r.top?.service).toBe('node1:9100');
    expect(r.top?.statement).toMatch(/filesystem filling up 0\.400 → 0\.990 .*mountpoint="\/data"/);
    expect(r.hypotheses.some((h) => h.service === 'node2:9100')).toBe(false);
  });

  test('Micrometer names, service named by app', async () => {
    const r = await investigate(request('micro', 'micrometer', { service: 'orders' }));
    expect(r.top?.service).toBe('orders');
    expect(r.top?.statement).toMatch(/HTTP 5xx rate/);
    expect(r.hypotheses.some((h) => h.service === 'billing')).toBe(false);
  });

  test('a service with no series: said so, with what was tried, and the conclusion is "insufficient evidence"', async () => {
    const expr = 'sum by (service) (rate(http_requests_total{service="checkout",status=~"5.."}[5m])) > 1';
    const r = await investigate(request('none', 'quiet', { service: 'checkout', alertExprs: [expr] }));
    expect(r.missing).toEqual([expect.stringMatching(/^prometheus: no series for service "checkout" \(tried .*job="checkout", instance=~"checkout\(:\[0-9\]\+\)\?"\)/)]);
    expect(r.hypotheses).toEqual([]);
    expect(r.conclusion).toMatchObject({ result: 'insufficient_evidence', missing: r.missing });
    expect(r.conclusion.matchedNothing).toEqual(expect.arrayContaining([`prometheus: ${expr}`]));
    // Everything it looked for (the catalogue's families that exist on this Prometheus) matched nothing here.
    expect(r.conclusion.searched.some((q) => q.includes('redis_up{scenario="quiet"}'))).toBe(true);
    expect(r.conclusion.matchedNothing).toEqual(r.conclusion.searched);
    expect(r.conclusion.summary).toMatch(/^insufficient evidence for checkout: /);
  });

  test('the second round of an investigation reuses its discovery (cached): no new discovery calls', async () => {
    const req = request('otel', 'otel', { service: 'payments-api' });
    const again = await gatherMetrics(new PrometheusClient({ url: prom.url }), repo, { ...req, round: 2 }, { rateWindow: '2m' });
    expect(again.queries.filter((q) => q.query === 'label_values(__name__)' || q.query.startsWith('series({'))).toEqual([]);
    expect(again.signals.some((s) => s.service === 'payments-api')).toBe(true);
  });
});

describe('blame only with linking evidence', () => {
  const deploy = (service: string): Signal => ({
    kind: 'deploys',
    service,
    weight: 0.3,
    evidenceId: 'e/deploys',
    text: `deploy-service run run-${service} 5 min before the start`,
    runId: `run-${service}`,
    runbook: 'deploy-service',
  });

  test("a checkout alert with no telemetry does not blame an unrelated service's deploy", async () => {
    // The run log really holds auth's deploy; the gather finds it, the hypotheses leave it out.
    const store = new SqlEventStore(db.db);
    await store.append('run-auth-deploy', [{ type: 'run.started', dedupeKey: 'x', data: { runbook: 'deploy-service', params: { service: 'auth', version: 'v9' } } }]);
    await db.db.query('update run_events set created_at = $1 where stream_id = $2', [new Date((PIVOT - 5 * 60) * 1000).toISOString(), 'run-auth-deploy']);
    const req = request('checkout', 'none', { service: 'checkout' });
    const deploys = await gatherDeploys(repo, req);
    expect(deploys.signals.map((s) => s.service)).toEqual(['auth']);
    const hypotheses = formHypotheses(deploys.signals, [], blameLinksOf('checkout', [{ labels: { alertname: 'HighErrorRate', service: 'checkout' } }]));
    expect(hypotheses).toEqual([]);
    // Without the rule (histories before it) the old behaviour: auth (deploy) leads.
    expect(formHypotheses(deploys.signals)[0]!.service).toBe('auth');
  });

  test('a change to another service counts through a dependency the evidence shows', () => {
    const links = blameLinksOf('checkout', [{ labels: { alertname: 'HighErrorRate', service: 'checkout' } }]);
    const origin: Signal = {
      kind: 'traces',
      service: 'payments',
      weight: 0.3,
      evidenceId: 'e/traces',
      text: 'errors originate in payments; callers: checkout',
      explains: ['checkout'],
    };
    expect(formHypotheses([deploy('payments'), origin], [], links)[0]).toMatchObject({ service: 'payments', evidence: ['e/deploys', 'e/traces'] });
    // Named by the alert itself (its labels or the values in its expression).
    const byExpr = blameLinksOf(undefined, [{ labels: { alertname: 'X' }, expr: 'rate(errors_total{upstream="ledger"}[5m]) > 1' }]);
    expect(formHypotheses([deploy('ledger')], [], byExpr).map((h) => h.service)).toEqual(['ledger']);
    // The incident's own service's deploy always counts.
    expect(formHypotheses([deploy('checkout')], [], links).map((h) => h.service)).toEqual(['checkout']);
  });
});

describe('pure parts', () => {
  test('alert expressions are decomposed with the PromQL grammar', () => {
    expect(decomposeAlertExpression('sum(rate(a_total{x="1"}[5m])) / sum(rate(b_total[5m])) > 0.05')).toMatchObject({
      condition: { expr: 'sum(rate(a_total{x="1"}[5m])) / sum(rate(b_total[5m]))', op: '>', threshold: 0.05 },
      parts: ['sum(rate(a_total{x="1"}[5m]))', 'sum(rate(b_total[5m]))'],
      selectors: [
        { text: 'a_total{x="1"}', metric: 'a_total' },
        { text: 'b_total', metric: 'b_total' },
      ],
    });
    expect(decomposeAlertExpression('10 > node_load1').condition).toEqual({ expr: 'node_load1', op: '<', threshold: 10 });
    expect(decomposeAlertExpression('(up == 0)').condition).toEqual({ expr: 'up', op: '==', threshold: 0 });
    expect(decomposeAlertExpression('sum(rate(x[5m])) by (').parts).toEqual([]);
  });

  test('the catalogue only proposes families whose metrics exist, with scope matchers spliced in', () => {
    const ids = applicableQueries(new Set(['redis_up', 'node_cpu_seconds_total', 'up'])).map((q) => q.id);
    expect(ids).toEqual(['redis.up', 'node.cpu', 'scrape.up']);
    expect(renderQuery('1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle",$sel}[$w]))', ['cluster="eu"'], '2m')).toBe(
      '1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle",cluster="eu"}[2m]))',
    );
    expect(renderQuery('min by (job) (redis_up{$sel})', [], '2m')).toBe('min by (job) (redis_up{})');
  });

  test('a conclusion always: hypotheses, or what was searched, matched nothing and is missing', () => {
    const none = conclude({ hypotheses: [], queries: [], missing: ['prometheus: not configured (PROMETHEUS_URL)'] });
    expect(none).toMatchObject({ result: 'insufficient_evidence', searched: [], missing: ['prometheus: not configured (PROMETHEUS_URL)'] });
    expect(none.summary).toMatch(/no query could run/);
  });
});
