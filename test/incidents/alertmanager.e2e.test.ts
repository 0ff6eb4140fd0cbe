import { startAlerting, startExporter, type Alerting, type Exporter } from './support/realAlerting';
import { startIncidentStack, WEBHOOK_TOKEN, TOKENS, type IncidentStack } from './support/incidentStack';

/**
 * End to end with real parts: the Debian `prometheus` scrapes an exporter, a rule fires, the Debian
 * `prometheus-alertmanager` posts to the copilot webhook; the investigation starts, queries that
 * real Prometheus, names the broken service, and resolves when the alert does.
 */
let exporter: Exporter;
let alerting: Alerting | undefined;
let stack: IncidentStack;

beforeAll(async () => {
  exporter = await startExporter(['checkout', 'cart', 'search']);
  // The API must exist before Alertmanager (its webhook URL), and Prometheus before the worker's
  // config: start the API first, then the worker pointed at the real Prometheus.
  stack = await startIncidentStack('e2e', { INCIDENT_RATE_WINDOW: '5s' }, { worker: false });
  alerting = await startAlerting({ exporter: exporter.url, webhookUrl: `${stack.url}/api/v1/webhooks/alertmanager`, token: WEBHOOK_TOKEN });
  stack.config.PROMETHEUS_URL = alerting.prometheusUrl;
  await stack.startWorker();
}, 60_000);
afterAll(async () => {
  await stack?.close();
  await alerting?.stop();
  await exporter?.close();
});

async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('alert fires → investigation names checkout → alert resolves → incident resolves', async () => {
  // A few healthy seconds first, so "before" has data.
  await new Promise((r) => setTimeout(r, 4000));
  exporter.broken.add('checkout');
  const incident = await eventually(
    async () => (await stack.call('GET', '/api/v1/incidents', { token: TOKENS.viewer })).body.items[0] as { incidentId: string; source: string } | undefined,
    30_000,
    'incident from Alertmanager',
  );
  expect(incident.source).toBe('alertmanager');
  await stack.waitForEvent(incident.incidentId, (e) => e.type === 'incident.analysis', 30_000);
  const state = await stack.incidents.getState(incident.incidentId);
  expect(state.service).toBe('checkout');
  expect(state.hypotheses[0]!.service).toBe('checkout');
  expect(state.hypotheses[0]!.statement).toMatch(/error rate/);
  const promQueries = state.queries.filter((q) => q.language === 'promql' && q.ok);
  expect(promQueries.map((q) => q.query)).toContain('sum by (service) (rate(http_requests_total{status=~"5.."}[5s])) > 1');
  expect(state.missing.some((m) => m.startsWith('loki:'))).toBe(true);

  exporter.broken.delete('checkout');
  await stack.waitForEvent(incident.incidentId, (e) => e.type === 'incident.resolved', 45_000);
  const resolved = await stack.incidents.getState(incident.incidentId);
  expect(resolved).toMatchObject({ status: 'resolved', resolvedBy: 'alertmanager' });
  // Alertmanager's notifications for one group never started a second investigation.
  const all = (await stack.call('GET', '/api/v1/incidents', { token: TOKENS.viewer })).body.items;
  expect(all).toHaveLength(1);
}, 110_000);
