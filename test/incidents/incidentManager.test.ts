import { ApplicationFailure } from '@temporalio/common';
import { createIncidentActivities } from '../../incidents/incidentActivities';
import { CompositeNotifier, IncidentManagerError } from '../../incidents/incidentManager/incidentNotifier';
import { PagerDutyNotifier } from '../../incidents/incidentManager/pagerDutyNotifier';
import { WebhookNotifier } from '../../incidents/incidentManager/webhookNotifier';
import { initialState } from '../../incidents/initialState';
import type { IncidentState } from '../../incidents/types';
import { startHttpReceiver, type HttpReceiver } from './support/httpReceiver';
import { startIncidentStack, TOKENS, type IncidentStack } from './support/incidentStack';

/**
 * The incident-manager adapters against a local HTTP receiver: the generic JSON webhook and
 * PagerDuty Events API v2 (trigger / acknowledge / resolve), their retries (5xx, 429, network) and
 * refusals (400, not retried); then a real investigation pushing create → update → acknowledge →
 * resolve to both.
 */
let rx: HttpReceiver;
const fast = { attempts: 3, baseDelayMs: 10, maxDelayMs: 50 };

function state(over: Partial<IncidentState> = {}): IncidentState {
  return {
    ...initialState({
      incidentId: 'inc-test-1',
      title: 'Checkout failing',
      service: 'payments',
      severity: 'high',
      labels: {},
      source: 'api',
      requestedBy: { sub: 'olga', roles: ['operator'] },
      alerts: [],
      startedAt: new Date().toISOString(),
      recheckIntervalMs: 60_000,
      environment: 'production',
      scopeLabels: [],
      queryLimit: 100,
    }),
    ...over,
  };
}

beforeAll(async () => {
  rx = await startHttpReceiver();
});
afterAll(async () => {
  await rx?.close();
});

describe('PagerDuty Events API v2', () => {
  test('trigger (create/update), acknowledge and resolve share the dedup_key', async () => {
    const pd = new PagerDutyNotifier('R0UT1NGKEY0123456789012345678901', `${rx.url}/pd/a`, fast);
    const s = state({
      status: 'monitoring',
      hypotheses: [{ id: 'h-payments', service: 'payments', statement: 'payments: error rate up', confidence: 0.7, evidence: ['ev-1'] }],
      budget: { queriesUsed: 12, queryLimit: 100, tokensUsed: 0, tokenLimit: 0 },
    });
    await pd.notify('create', s);
    await pd.notify('update', s);
    await pd.notify('acknowledge', s);
    await pd.notify('resolve', { ...s, status: 'resolved' });
    const sent = rx.on('/pd/a');
    expect(sent.map((r) => r.body.event_action)).toEqual(['trigger', 'trigger', 'acknowledge', 'resolve']);
    for (const r of sent) {
      expect(r.body).toMatchObject({ routing_key: 'R0UT1NGKEY0123456789012345678901', dedup_key: 'inc-test-1' });
      expect(r.headers['content-type']).toBe('application/json');
    }
    expect(sent[0]!.body.payload).toEqual({
      summary: 'Checkout failing',
      source: 'payments',
      severity: 'error', // high → PagerDuty's "error"
      component: 'payments',
      class: 'incident',
      custom_details: { status: 'monitoring', hypothesis: 'payments: error rate up (confidence 0.7)', queries: 12 },
    });
    expect(sent[2]!.body.payload).toBeUndefined();
    expect(sent[3]!.body.payload).toBeUndefined();
  });

  test('5xx and 429 are retried (Retry-After honoured) until accepted', async () => {
    rx.script('/pd/retry', { status: 503 }, { status: 429, retryAfter: 0 }, { status: 202 });
    const pd = new PagerDutyNotifier('key', `${rx.url}/pd/retry`, fast);
    await pd.notify('create', state());
    expect(rx.on('/pd/retry').map((r) => r.status)).toEqual([503, 429, 202]);
    // Every attempt is the same event: PagerDuty dedupes it by dedup_key.
    expect(new Set(rx.on('/pd/retry').map((r) => JSON.stringify(r.body))).size).toBe(1);
  });

  test('a 400 is a refusal: one request, a permanent error', async () => {
    rx.script('/pd/bad', { status: 400 });
    const pd = new PagerDutyNotifier('key', `${rx.url}/pd/bad`, fast);
    const err = await pd.notify('resolve', state()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IncidentManagerError);
    expect((err as IncidentManagerError).permanent).toBe(true);
    expect((err as Error).message).toMatch(/answered 400: .*invalid event/);
    expect(rx.on('/pd/bad')).toHaveLength(1);
  });

  test('5xx every time: gives up after its attempts with a transient error; unreachable too', async () => {
    rx.script('/pd/down', { status: 500 }, { status: 502 }, { status: 504 });
    const err = await new PagerDutyNotifier('key', `${rx.url}/pd/down`, fast).notify('update', state()).then(
      () => {
        throw new Error('expected a failure');
      },
      (e: unknown) => e as IncidentManagerError,
    );
    expect(err.permanent).toBe(false);
    expect(err.message).toContain('answered 504');
    expect(rx.on('/pd/down').map((r) => r.status)).toEqual([500, 502, 504]);
    const unreachable = await new PagerDutyNotifier('key', 'http://127.0.0.1:1/v2/enqueue', fast).notify('update', state()).then(
      () => {
        throw new Error('expected a failure');
      },
      (e: unknown) => e as IncidentManagerError,
    );
    expect(unreachable.permanent).toBe(false);
    expect(unreachable.message).toMatch(/unreachable/);
  });
});

describe('generic webhook', () => {
  test('JSON body and an idempotency key per incident, change and check; retried on 500', async () => {
    rx.script('/hook/a', { status: 500 });
    const hook = new WebhookNotifier(`${rx.url}/hook/a`, fast);
    const s = state({ rounds: 2, rechecks: 1, hypotheses: [{ id: 'h-payments', service: 'payments', statement: 's', confidence: 0.5, evidence: [] }] });
    await hook.notify('update', s);
    const sent = rx.on('/hook/a');
    expect(sent.map((r) => r.status)).toEqual([500, 202]);
    expect(sent[1]!.headers['idempotency-key']).toBe('inc-test-1:update:2:1');
    expect(sent[1]!.body).toEqual({
      event: 'incident.update',
      incidentId: 'inc-test-1',
      title: 'Checkout failing',
      severity: 'high',
      status: 'investigating',
      service: 'payments',
      topHypothesis: { service: 'payments', statement: 's', confidence: 0.5 },
      link: '/api/v1/incidents/inc-test-1',
    });
  });

  test('composite: one refusal does not stop the other; the activity fails non-retryably on a refusal', async () => {
    rx.script('/hook/refuse', { status: 400 });
    const both = new CompositeNotifier([new WebhookNotifier(`${rx.url}/hook/refuse`, fast), new PagerDutyNotifier('key', `${rx.url}/pd/ok`, fast)]);
    const err = await both.notify('create', state()).then(
      () => {
        throw new Error('expected a failure');
      },
      (e: unknown) => e as IncidentManagerError,
    );
    expect(err.permanent).toBe(true);
    expect(err.message).toMatch(/^incident manager push failed: webhook: .*answered 400/);
    expect(rx.on('/pd/ok')).toHaveLength(1);
    rx.script('/hook/refuse', { status: 422 });
    const acts = createIncidentActivities({ events: {} as never, repo: {} as never, memory: {} as never, notifier: both });
    const failure = await acts.notifyIncidentManager('update', state()).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect((failure as ApplicationFailure).nonRetryable).toBe(true);
  });
});

describe('a real investigation', () => {
  let stack: IncidentStack;

  beforeAll(async () => {
    stack = await startIncidentStack('mgr', { INCIDENT_WEBHOOK_URL: `${rx.url}/live/hook`, PAGERDUTY_ROUTING_KEY: 'live-routing-key', PAGERDUTY_EVENTS_URL: `${rx.url}/live/pd` });
  });
  afterAll(async () => {
    await stack?.close();
  });

  test('pushes create → update → acknowledge → resolve to the webhook and PagerDuty, through a 502', async () => {
    rx.script('/live/pd', { status: 502 }); // the first trigger is retried by the notifier itself
    const res = await stack.call('POST', '/api/v1/incidents', { token: TOKENS.operator, json: { title: 'Orders slow', severity: 'critical', service: 'orders' } });
    const id = res.body.incidentId as string;
    await stack.waitForEvent(id, (e) => e.type === 'incident.analysis');
    // The update push follows the analysis; wait until both managers have it.
    const until = async (n: number) => {
      const deadline = Date.now() + 10_000;
      while (rx.on('/live/hook').length < n || rx.on('/live/pd').filter((r) => r.status < 300).length < n) {
        if (Date.now() > deadline) throw new Error(`pushes: ${JSON.stringify(rx.requests.map((r) => [r.path, r.status]))}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await until(2);
    expect((await stack.call('POST', `/api/v1/incidents/${id}/notes`, { token: TOKENS.operator, json: { text: 'looking at the orders db' } })).status).toBe(201);
    // A second human action does not acknowledge again.
    expect((await stack.call('POST', `/api/v1/incidents/${id}/notes`, { token: TOKENS.operator, json: { text: 'still looking' } })).status).toBe(201);
    expect((await stack.call('POST', `/api/v1/incidents/${id}/resolve`, { token: TOKENS.operator, json: { resolution: 'vacuumed' } })).status).toBe(200);
    await stack.waitForEvent(id, (e) => e.type === 'incident.resolved');
    await until(4);

    const pd = rx.on('/live/pd');
    expect(pd.map((r) => [r.body.event_action, r.status])).toEqual([
      ['trigger', 502],
      ['trigger', 202],
      ['trigger', 202],
      ['acknowledge', 202],
      ['resolve', 202],
    ]);
    expect(new Set(pd.map((r) => r.body.dedup_key))).toEqual(new Set([id]));
    expect(pd.every((r) => r.body.routing_key === 'live-routing-key')).toBe(true);
    expect(pd[0]!.body.payload).toMatchObject({ summary: 'Orders slow', source: 'orders', severity: 'critical', custom_details: { status: 'investigating' } });
    expect(pd[2]!.body.payload.custom_details.status).toBe('monitoring');

    const hook = rx.on('/live/hook');
    expect(hook.map((r) => r.body.event)).toEqual(['incident.create', 'incident.update', 'incident.acknowledge', 'incident.resolve']);
    expect(hook.map((r) => r.body.status)).toEqual(['investigating', 'monitoring', 'monitoring', 'resolved']);
    expect(hook.every((r) => r.body.incidentId === id)).toBe(true);
    const state = await stack.incidents.getState(id);
    expect(state).toMatchObject({ status: 'resolved', acknowledgedBy: 'olga' });
    expect((await stack.events(id)).filter((e) => e.type === 'incident.notify.failed')).toEqual([]);
  }, 60_000);
});
