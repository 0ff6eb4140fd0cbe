import { SqlEventStore } from '../../db/eventStore';
import { startIncidentStack, TOKENS, WEBHOOK_TOKEN, type IncidentStack } from './support/incidentStack';

/**
 * The new-user run, end to end: a real Prometheus scraping only itself, an Alertmanager
 * webhook for `HighErrorRate` on `service=payments-api` (whose metrics nobody exports), and an
 * unrelated service's deploy in the run log. The investigation must not blame the deploy nor
 * propose restarting that service, and must end with an explicit "insufficient evidence" result
 * that says what it searched, what matched nothing and what is missing.
 */
let stack: IncidentStack;

beforeAll(async () => {
  stack = await startIncidentStack('concl', { PROMETHEUS_URL: process.env.TEST_PROMETHEUS_URL! });
}, 60_000);
afterAll(async () => {
  await stack?.close();
});

const EXPR =
  'sum by (service) (rate(http_requests_total{service="payments-api",status=~"5.."}[5m])) / sum by (service) (rate(http_requests_total{service="payments-api"}[5m])) > 0.05';

test('an alert on telemetry that does not exist: no blame for an unrelated deploy, an explicit "insufficient evidence" conclusion', async () => {
  const startsAt = new Date(Date.now() - 60_000);
  const store = new SqlEventStore(stack.backends.db);
  await store.append('run-auth-deploy', [{ type: 'run.started', dedupeKey: 'x', data: { runbook: 'deploy-service', params: { service: 'auth', version: 'v9' } } }]);
  await stack.backends.db.query('update run_events set created_at = $1 where stream_id = $2', [new Date(startsAt.getTime() - 5 * 60_000).toISOString(), 'run-auth-deploy']);
  const labels = { alertname: 'HighErrorRate', service: 'payments-api', severity: 'critical' };
  const res = await stack.call('POST', '/api/v1/webhooks/alertmanager', {
    token: WEBHOOK_TOKEN,
    json: {
      version: '4',
      groupKey: '{}:{alertname="HighErrorRate", service="payments-api"}',
      status: 'firing',
      receiver: 'copilot',
      groupLabels: { alertname: 'HighErrorRate' },
      commonLabels: labels,
      commonAnnotations: { summary: 'payments-api 5xx above 5%' },
      alerts: [
        {
          status: 'firing',
          labels,
          annotations: {},
          startsAt: startsAt.toISOString(),
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: `http://prom:9090/graph?g0.expr=${encodeURIComponent(EXPR)}&g0.tab=1`,
          fingerprint: 'fp-pay',
        },
      ],
    },
  });
  expect(res.body.action).toBe('started');
  const id = res.body.incidentId as string;
  const analysis = await stack.waitForEvent(id, (e) => e.type === 'incident.analysis', 60_000);
  const state = (await stack.call('GET', `/api/v1/incidents/${id}`, { token: TOKENS.viewer })).body;
  expect(state.service).toBe('payments-api');
  // The deploy was found (it is in the record) but is linked to nothing here: no hypothesis, no action.
  expect(state.queries.find((q: { language: string }) => q.language === 'sql').summary).toMatch(/deploy-service auth@v9/);
  expect(state.hypotheses).toEqual([]);
  expect(state.actions).toEqual([]);
  expect(state.conclusion).toMatchObject({ result: 'insufficient_evidence' });
  expect(analysis.data.conclusion).toEqual(state.conclusion);
  expect(state.conclusion.summary).toMatch(/^insufficient evidence for payments-api: /);
  expect(state.conclusion.missing).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^prometheus: no series for service "payments-api" \(tried .*job="payments-api"/),
      'loki: not configured (LOKI_URL)',
      'tempo: not configured (TEMPO_URL)',
    ]),
  );
  // The alert expression and its two operands were re-evaluated, and matched nothing.
  expect(state.conclusion.matchedNothing).toEqual(
    expect.arrayContaining([
      `prometheus: ${EXPR}`,
      expect.stringMatching(/^prometheus: sum by \(service\) \(rate\(http_requests_total\{service="payments-api",status=~"5.."\}\[5m\]\)\)$/),
    ]),
  );
  expect(state.conclusion.searched).toEqual(expect.arrayContaining([expect.stringMatching(/^runs: run\.started/)]));
  // The postmortem draft says the same.
  const report = await stack.call('GET', `/api/v1/incidents/${id}/report`, { token: TOKENS.viewer });
  expect(report.text).toMatch(/No root cause was identified: insufficient evidence for payments-api/);
  expect(report.text).toContain('Searched and matched nothing:');
  // Discovery ran (and is auditable) like any query.
  expect(state.queries.some((q: { kind: string; query: string }) => q.kind === 'discovery' && q.query === 'label_values(__name__)')).toBe(true);
}, 90_000);
