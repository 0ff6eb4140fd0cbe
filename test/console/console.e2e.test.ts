import express from 'express';
import type { Browser } from 'playwright-core';
import { consoleRoutes } from '../../api/consoleRoute';
import type { AddressInfo } from 'node:net';
import { sessionStreamId } from '../../chat/model/types';
import { startChatStack, TOKENS, type ChatStack } from '../chat/support/chatStack';
import { startFakeLoki, type FakeLoki } from '../incidents/support/fakeLoki';
import { startFakeTempo, type FakeTempo } from '../incidents/support/fakeTempo';
import { logsFor, recordPaymentsDeploys, tracesFor } from '../incidents/support/scenarioData';
import { ARTIFACTS, launchChromium, openConsole, screenshot, signIn, type ConsoleUser } from './support/browser';
import { ensureConsoleBuilt } from './support/consoleBuild';

/**
 * The web console in Debian's headless Chromium against the real stack: real Temporal, Postgres,
 * Prometheus, worker and API (which serves the built console at /); fake Loki and Tempo (vendors
 * that cannot run here) for the incident. Screenshots of the main pages go to test/console/artifacts/.
 */
jest.setTimeout(180_000);

const ATTACKER = 'http://attacker.invalid';
const XSS_ALERT = `Checkout down <img src=x onerror="alert('annotation')"><script>alert('annotation-script');fetch('${ATTACKER}/a')</script>`;
const XSS_LOG = `error: <img src="${ATTACKER}/log.png" onerror="alert('log')"> <script>alert('log-script')</script>`;
const XSS_CHAT = `what is <img src="${ATTACKER}/chat.png" onerror="alert('chat')"><script>alert('chat-script')</script>?`;

let stack: ChatStack;
let browser: Browser;
let loki: FakeLoki;
let tempo: FakeTempo;
const users: ConsoleUser[] = [];
const pivot = new Date(Date.now() - 2 * 60_000);

async function user(token: string, subject: string, options: { viewport?: { width: number; height: number } } = {}): Promise<ConsoleUser> {
  const u = await openConsole(browser, stack.url, options.viewport);
  users.push(u);
  await signIn(u, token, subject);
  return u;
}

function expectNothingExecuted(u: ConsoleUser): void {
  expect(u.watch.dialogs).toEqual([]);
  expect(u.watch.foreignRequests).toEqual([]);
  expect(u.watch.pageErrors).toEqual([]);
}

async function waitForState<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms; last: ${JSON.stringify(v).slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  ensureConsoleBuilt();
  loki = await startFakeLoki(logsFor('payments', 'search', pivot, [XSS_LOG]));
  tempo = await startFakeTempo(tracesFor('payments', 'gateway', pivot));
  stack = await startChatStack('console', { LOKI_URL: loki.url, TEMPO_URL: tempo.url, INCIDENT_RECHECK_INTERVAL: '1h' }, { incidents: true });
  await recordPaymentsDeploys(stack.backends, pivot);
  browser = await launchChromium();
});

// The last screen of every page of a test, kept beside the named screenshots for diagnosis.
afterEach(async () => {
  const name = (expect.getState().currentTestName ?? 'test').replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
  for (const u of users) if (u.watch.pageErrors.length) console.warn(`${name}: page errors`, u.watch.pageErrors);
  for (const [i, u] of users.entries()) if (!u.page.isClosed()) await screenshot(u.page, `last-${name}-${i}`).catch(() => undefined);
  for (const u of users.splice(0)) await u.context.close().catch(() => undefined);
});

afterAll(async () => {
  for (const u of users) await u.context.close().catch(() => undefined);
  await browser?.close();
  await stack?.close();
  await loki?.close();
  await tempo?.close();
});

test('the console is served with a strict CSP; deep links fall back to the app; API 404s stay problems', async () => {
  const page = await fetch(`${stack.url}/runs/run-x`);
  expect(page.status).toBe(200);
  const csp = page.headers.get('content-security-policy') ?? '';
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).not.toContain('unsafe-inline');
  expect(csp).not.toContain('unsafe-eval');
  const html = await page.text();
  expect(html).toContain('<div id="root">');
  // No inline script: every <script> has a src on this origin.
  for (const tag of html.match(/<script[^>]*>/g) ?? []) expect(tag).toMatch(/src="\/assets\//);
  const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1]!;
  const js = await fetch(`${stack.url}${asset}`);
  expect(js.headers.get('cache-control')).toContain('immutable');
  expect((await fetch(`${stack.url}/api/v1/nope`, { headers: { authorization: `Bearer ${TOKENS.viewer}` } })).headers.get('content-type')).toContain('problem+json');
  expect((await fetch(`${stack.url}/not-a-console-route`)).status).toBe(404);
});

test('without a build, / answers a text page saying how to build the console (not a 500)', async () => {
  const app = express();
  app.use(consoleRoutes('/nonexistent/console-dist'));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/chat`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(await res.text()).toContain('npm run console:build');
  } finally {
    await new Promise((r) => server.close(r));
  }
});

test('chat → Confirm → an approver approves from the inbox → the requester’s run page turns green without a reload', async () => {
  const olga = await user(TOKENS.operator, 'olga');
  const { page } = olga;
  await page.getByRole('button', { name: 'New session' }).click();
  await page.waitForURL(/\/chat\/[0-9a-f-]{36}$/);
  await page.getByLabel('Message', { exact: true }).fill('deploy auth v2.3.1 to production');
  await page.getByRole('button', { name: 'Send' }).click();
  const proposal = page.getByTestId('proposal');
  await proposal.getByRole('button', { name: 'Confirm' }).waitFor();
  const card = await proposal.textContent();
  expect(card).toContain('deploy-service');
  for (const v of ['auth', 'v2.3.1', 'production']) expect(card).toContain(v);
  await screenshot(page, 'chat-proposal');
  await proposal.getByRole('button', { name: 'Confirm' }).click();

  // The gate is announced in the chat; olga (operator) may not decide it, and the card says why.
  const approval = page.getByTestId('approval-card');
  await approval.waitFor({ timeout: 30_000 });
  await approval.getByTestId('refusal').waitFor();
  expect(await approval.getByTestId('refusal').textContent()).toContain('approver');
  expect(await approval.getByRole('button', { name: 'Approve' }).isDisabled()).toBe(true);
  await screenshot(page, 'chat-approval-card');
  const runId = (await approval.getByRole('link', { name: /^run-/ }).textContent())!;

  await approval.getByRole('link', { name: runId }).click();
  await page.waitForURL(new RegExp(`/runs/${runId}$`));
  await page.locator('[data-testid="node-approve"][data-status="waiting"]').waitFor();
  await page.locator('[data-testid="node-build"][data-status="succeeded"]').waitFor();
  await page.evaluate(() => ((globalThis as unknown as { stillHere: boolean }).stillHere = true));
  const loadsBefore = olga.watch.loads;
  await screenshot(page, 'run-waiting');

  const adam = await user(TOKENS.approver, 'adam');
  await adam.page.getByRole('link', { name: 'Approvals' }).click();
  const item = adam.page.getByTestId(`inbox-${runId}`);
  await item.getByRole('button', { name: 'Approve' }).waitFor();
  expect(await item.getByRole('button', { name: 'Approve' }).isEnabled()).toBe(true);
  await screenshot(adam.page, 'approvals-inbox');
  await item.getByLabel('Comment (optional)').fill('LGTM from the console');
  await item.getByRole('button', { name: 'Approve' }).click();
  // The decision reaches the inbox through the approvals feed: the item goes away.
  await item.waitFor({ state: 'detached', timeout: 30_000 });

  for (const step of ['build', 'approve', 'deploy']) await page.locator(`[data-testid="node-${step}"][data-status="succeeded"]`).waitFor({ timeout: 30_000 });
  await page.getByTestId('run-status').filter({ hasText: 'succeeded' }).waitFor();
  expect(await page.evaluate(() => (globalThis as unknown as { stillHere?: boolean }).stillHere)).toBe(true);
  expect(olga.watch.loads).toBe(loadsBefore);
  // The run's state (votes) is re-read after each event; it may land a moment after the graph turned green.
  await page.getByRole('region', { name: 'Approvals' }).filter({ hasText: 'adam approved via api' }).waitFor({ timeout: 15_000 });
  const votes = await page.getByRole('region', { name: 'Approvals' }).textContent();
  expect(votes).toContain('adam approved via api');
  expect(votes).toContain('LGTM from the console');
  const timeline = await page.getByTestId('timeline').textContent();
  expect(timeline).toContain('approval.decided');
  expect(timeline).toContain('run.completed');
  await screenshot(page, 'run-succeeded');
  const state = (await stack.call('GET', `/api/v1/runs/${runId}`, { token: TOKENS.viewer })).body;
  expect(state).toMatchObject({ status: 'succeeded', requestedBy: 'olga' });
  expect(state.approvals[0].votes[0]).toMatchObject({ approver: 'adam', via: 'api', comment: 'LGTM from the console' });
  expectNothingExecuted(olga);
  expectNothingExecuted(adam);
  expect(olga.watch.cspViolations).toEqual([]);
});

test('four eyes: the requester sees why they cannot approve their own run, in the inbox and on the run page', async () => {
  const started = await stack.call('POST', '/api/v1/runs', {
    token: TOKENS.secondAdmin,
    json: { runbook: 'deploy-service', params: { service: 'auth', version: 'v9', environment: 'production' } },
  });
  expect(started.status).toBe(202);
  const runId = started.body.runId as string;
  await waitForState(
    () => stack.call('GET', `/api/v1/runs/${runId}`, { token: TOKENS.viewer }).then((r) => r.body),
    (s: any) => s.approvals?.[0]?.status === 'pending',
    'gate pending',
  );

  const alan = await user(TOKENS.secondAdmin, 'alan');
  await alan.page.getByRole('link', { name: 'Approvals' }).click();
  const item = alan.page.getByTestId(`inbox-${runId}`);
  await item.getByTestId('refusal').waitFor();
  expect(await item.getByTestId('refusal').textContent()).toMatch(/four-eyes: alan requested this run/);
  expect(await item.getByRole('button', { name: 'Approve' }).isDisabled()).toBe(true);
  await screenshot(alan.page, 'approvals-four-eyes');

  await item.getByRole('link', { name: 'deploy-service' }).click();
  const gate = alan.page.getByTestId('gate-approve');
  await gate.getByTestId('refusal').waitFor();
  expect(await gate.getByTestId('refusal').textContent()).toContain('four-eyes');
  expect(await gate.getByRole('button', { name: 'Reject' }).isDisabled()).toBe(true);
  // The API agrees: the same decision by API is a 403.
  const refused = await stack.call('POST', `/api/v1/runs/${runId}/approvals/approve`, { token: TOKENS.secondAdmin, json: { decision: 'approve' } });
  expect(refused.status).toBe(403);
  await stack.call('POST', `/api/v1/runs/${runId}/cancel`, { token: TOKENS.secondAdmin });
});

test('a burst of gates opening re-reads the inbox at most once per half second, and every gate shows', async () => {
  const adam = await user(TOKENS.approver, 'adam');
  await adam.page.getByRole('link', { name: 'Approvals' }).click();
  await adam.page.getByTestId('stream-status').filter({ hasText: 'open' }).waitFor();
  const reads: number[] = [];
  adam.page.on('request', (r) => {
    if (r.method() === 'GET' && new URL(r.url()).pathname === '/api/v1/approvals') reads.push(Date.now());
  });
  const runIds = await Promise.all(
    Array.from({ length: 8 }, (_, i) =>
      stack
        .call('POST', '/api/v1/runs', { token: TOKENS.operator, json: { runbook: 'deploy-service', params: { service: `burst-${i}`, version: 'v1', environment: 'production' } } })
        .then((r) => r.body.runId as string),
    ),
  );
  for (const runId of runIds) await adam.page.getByTestId(`inbox-${runId}`).waitFor({ timeout: 60_000 });
  // Eight approval.requested feed events; without the window each one re-read the inbox at once.
  expect(reads.length).toBeGreaterThan(0);
  const gaps = reads.slice(1).map((at, i) => at - reads[i]!);
  // At most one close pair: the inbox's 30 s poll may land next to a feed read.
  expect(gaps.filter((gap) => gap < 400).length).toBeLessThanOrEqual(1);
  expectNothingExecuted(adam);
  for (const runId of runIds) await stack.call('POST', `/api/v1/runs/${runId}/cancel`, { token: TOKENS.admin });
});

describe('an incident with hostile alert text and log lines', () => {
  let incidentId: string;

  beforeAll(async () => {
    const hook = await stack.call('POST', '/api/v1/webhooks/alertmanager', {
      token: TOKENS.operator,
      json: {
        version: '4',
        groupKey: '{}:{alertname="CheckoutDown"}',
        truncatedAlerts: 0,
        status: 'firing',
        receiver: 'copilot',
        groupLabels: { alertname: 'CheckoutDown' },
        commonLabels: { alertname: 'CheckoutDown', severity: 'critical' },
        commonAnnotations: { summary: XSS_ALERT },
        externalURL: 'http://am.example:9093',
        alerts: [
          {
            status: 'firing',
            labels: { alertname: 'CheckoutDown', severity: 'critical', service: 'checkout' },
            annotations: { summary: XSS_ALERT, description: XSS_ALERT },
            startsAt: pivot.toISOString(),
            endsAt: '0001-01-01T00:00:00Z',
            // Prometheus scrapes itself in the tests, so this expression has a real time series to plot.
            generatorURL: 'http://prom.example:9090/graph?g0.expr=rate%28prometheus_http_requests_total%5B1m%5D%29+%3E+0&g0.tab=1',
            fingerprint: 'c0ffee',
          },
        ],
      },
    });
    expect(hook.status).toBe(200);
    const list = await waitForState(
      () => stack.call('GET', '/api/v1/incidents', { token: TOKENS.viewer }).then((r) => r.body),
      (b: any) => b.items?.length > 0,
      'incident listed',
    );
    incidentId = list.items[0].incidentId;
    await waitForState(
      () => stack.backends.store.list(incidentId, 0, 1000),
      (events) => events.some((e) => e.type === 'incident.analysis'),
      'analysis',
      90_000,
    );
  });

  test('the incident page renders hypotheses with confidence and evidence, a uPlot chart and the log lines', async () => {
    const olga = await user(TOKENS.operator, 'olga');
    await olga.page.getByRole('link', { name: 'Incidents' }).click();
    await olga.page.locator(`a[href="/incidents/${incidentId}"]`).click();
    const hypothesis = olga.page.getByTestId('hypothesis').first();
    await hypothesis.waitFor();
    expect(await hypothesis.textContent()).toMatch(/confidence \d+%/);
    expect(await olga.page.getByTestId('hypothesis').count()).toBeGreaterThan(0);
    expect(await hypothesis.locator('.evidence a').count()).toBeGreaterThan(0);
    await olga.page.locator('[data-testid="chart"] canvas').first().waitFor({ timeout: 30_000 });
    await olga.page.getByTestId('log-lines').first().waitFor();
    await olga.page.getByTestId('markdown').waitFor();
    await screenshot(olga.page, 'incident');
    await olga.page.getByRole('region', { name: 'Hypotheses' }).screenshot({ path: `${ARTIFACTS}/incident-hypotheses.png` });
    await olga.page.getByRole('region', { name: 'Query results' }).screenshot({ path: `${ARTIFACTS}/incident-charts.png` });
    // Hostile long strings wrap: the page is no wider than the window.
    expect(
      await olga.page.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth),
    ).toBeLessThanOrEqual(1280);
    expectNothingExecuted(olga);
  });

  test('<script> and onerror payloads in an alert annotation, a log line and a chat message never execute', async () => {
    const olga = await user(TOKENS.operator, 'olga');
    const { page } = olga;
    await page.goto(`/incidents/${incidentId}`);
    await page.getByTestId('markdown').waitFor();
    await page.getByTestId('log-lines').first().waitFor();
    // Shown as text: the title (annotation) and the log line carry the payload literally.
    expect(await page.locator('h1').first().textContent()).toContain('<script>');
    await page
      .getByTestId('log-lines')
      .filter({ hasText: `${ATTACKER}/log.png` })
      .first()
      .waitFor({ timeout: 20_000 });
    // The sanitised postmortem keeps no image, script or handler.
    expect(await page.locator('[data-testid="markdown"] img, [data-testid="markdown"] script, [data-testid="markdown"] [onerror]').count()).toBe(0);
    expect(await page.locator('main img').count()).toBe(0);

    await page.getByRole('link', { name: 'Chat' }).click();
    await page.getByRole('button', { name: 'New session' }).click();
    await page.waitForURL(/\/chat\/[0-9a-f-]{36}$/);
    await page.getByLabel('Message', { exact: true }).fill(XSS_CHAT);
    await page.getByRole('button', { name: 'Send' }).click();
    await page.getByTestId('reply').first().waitFor({ timeout: 30_000 });
    expect(await page.locator('.msg-user .text').first().textContent()).toBe(XSS_CHAT);
    expect(await page.locator('main img, main script').count()).toBe(0);
    await screenshot(page, 'chat-hostile-input');
    // Give any injected handler a moment it would need to fire.
    await page.waitForTimeout(500);
    expectNothingExecuted(olga);
    expect(olga.watch.cspViolations).toEqual([]);
  });
});

test('a reload in the middle of a streamed reply loses and duplicates nothing (Last-Event-ID resume)', async () => {
  const olga = await user(TOKENS.operator, 'olga');
  const { page } = olga;
  const resumes: string[] = [];
  page.on('request', (r) => {
    if (r.url().includes('/events')) resumes.push(r.headers()['last-event-id'] ?? '');
  });
  await page.getByRole('button', { name: 'New session' }).click();
  await page.waitForURL(/\/chat\/[0-9a-f-]{36}$/);
  const sessionId = page.url().split('/').pop()!;
  await page.getByLabel('Message', { exact: true }).fill('status of the auth deploys?');
  await page.getByRole('button', { name: 'Send' }).click();
  await page.getByTestId('reply').first().waitFor({ timeout: 30_000 });

  // A streamed reply, written into the session's event log exactly as chat/activities/replyStreamer.ts
  // writes one (reply.delta per coalesced chunk, then reply.completed), slowly enough to reload mid-way.
  const stream = sessionStreamId(sessionId);
  const words = Array.from({ length: 40 }, (_, i) => `w${i} `);
  await stack.backends.store.append(stream, [{ type: 'turn.started', dedupeKey: `${stream}/t90/1`, data: { turnId: 't90', content: 'stream me a long answer', by: 'olga' } }]);
  const writer = (async () => {
    for (const [i, w] of words.entries()) {
      await stack.backends.store.append(stream, [{ type: 'reply.delta', dedupeKey: `${stream}/t90/a1/delta/${i}`, data: { turnId: 't90', attempt: 1, text: w, index: i } }]);
      await new Promise((r) => setTimeout(r, 60));
    }
    await stack.backends.store.append(stream, [{ type: 'reply.completed', dedupeKey: `${stream}/t90/2`, data: { turnId: 't90', text: words.join(''), degraded: false } }]);
  })();
  await page.getByTestId('reply-streaming').filter({ hasText: 'w8 ' }).waitFor({ timeout: 20_000 });
  const before = await page.getByTestId('reply-streaming').textContent();
  expect(before).not.toContain('w39 ');
  await page.reload();
  await writer;
  await page.getByTestId('reply').filter({ hasText: 'w39' }).waitFor({ timeout: 20_000 });
  expect(await page.getByTestId('reply').filter({ hasText: 'w39' }).textContent()).toBe(words.join(''));

  // Exactly the server's transcript: each turn once, each reply once.
  const events = await stack.backends.store.list(stream, 0, 10_000);
  const turns = events.filter((e) => e.type === 'turn.started').map((e) => e.data.content);
  expect(await page.locator('.msg-user .text').allTextContents()).toEqual(turns);
  expect(await page.locator('.msg-assistant').count()).toBe(new Set(events.filter((e) => e.type === 'reply.completed').map((e) => e.data.turnId)).size);
  // After the reload the stream resumed after the last event seen before it, not from the start.
  expect(resumes.filter((h) => h !== '').length).toBeGreaterThan(0);
  expect(Number(resumes[resumes.length - 1])).toBeGreaterThan(1);
  await screenshot(page, 'chat-after-reload');
});

test('runbooks: the start form shows the API’s field error next to the field; the plan view lists batches and gates', async () => {
  const olga = await user(TOKENS.operator, 'olga');
  const { page } = olga;
  await page.getByRole('link', { name: 'Runbooks' }).click();
  await page.getByRole('link', { name: 'deploy-service' }).click();
  await page.getByLabel(/^service/).fill('Not A Service');
  await page.getByLabel(/^version/).fill('v1.0.0');
  await page.getByRole('button', { name: 'Start run' }).click();
  await page.getByTestId('error-service').waitFor();
  expect(await page.getByTestId('error-service').textContent()).toBeTruthy();
  expect(await page.getByTestId('error-version').count()).toBe(0);
  await page.getByLabel(/^service/).fill('auth');
  await page.getByLabel(/^environment/).selectOption('production');
  await page.getByRole('button', { name: 'Plan (dry run)' }).click();
  const plan = page.getByTestId('plan');
  await plan.waitFor();
  expect(await plan.textContent()).toContain('will stop the run');
  await screenshot(page, 'runbook-start-plan');

  expect((await stack.call('POST', '/api/v1/runs', { token: TOKENS.operator, json: { runbook: 'run-tests', params: { service: 'checkout' } } })).status).toBe(202);
  const phone = await user(TOKENS.operator, 'olga', { viewport: { width: 390, height: 844 } });
  await phone.page.getByRole('link', { name: 'Runs' }).click();
  await phone.page.locator('table a').first().waitFor();
  await screenshot(phone.page, 'runs-phone');
  const dark = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'dark', baseURL: stack.url });
  const darkPage = await dark.newPage();
  await darkPage.goto('/');
  await darkPage.getByLabel('API token').waitFor();
  await screenshot(darkPage, 'signin-dark');
  await dark.close();
});
