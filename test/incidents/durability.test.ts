import type { ChildProcess } from 'node:child_process';
import { IncidentService } from '../../incidents/incidentService';
import type { AlertRef } from '../../incidents/types';
import { startFakeLoki, type FakeLoki } from './support/fakeLoki';
import { startIncidentStack, type IncidentStack } from './support/incidentStack';
import { logsFor } from './support/scenarioData';
import { killWorker, spawnIncidentWorker } from './support/spawnWorker';

/**
 * Long lives and dead workers, with the worker in its own OS process:
 * - continue-as-new with a threshold forced low through the workflow input (`continueAfterEvents`):
 *   the investigation carries its compact state (hypotheses, notes, alerts, query references)
 *   into each new run and still takes feedback and resolves;
 * - the worker SIGKILLed in the middle of the FIRST investigation round (a Loki query in flight):
 *   a new worker finishes the round and the investigation.
 */
let stack: IncidentStack;
let loki: FakeLoki;
let worker: ChildProcess;
const children: ChildProcess[] = [];
const olga = { sub: 'olga', roles: ['operator' as const] };
const pivot = new Date(Date.now() - 3 * 60_000);

const spawn = () => spawnIncidentWorker(stack, children, { LOKI_URL: loki.url, BACKEND_QUERY_TIMEOUT_MS: '20000' });
const alert = (fingerprint: string, alertname: string, service: string): AlertRef => ({
  fingerprint,
  alertname,
  status: 'firing',
  startsAt: pivot.toISOString(),
  labels: { alertname, service },
});

beforeAll(async () => {
  loki = await startFakeLoki(logsFor('orders', 'search', pivot));
  stack = await startIncidentStack('dur', { INCIDENT_RECHECK_INTERVAL: '1s' }, { worker: false });
  await stack.backends.store.append('run-deploy-orders', [
    { type: 'run.started', dedupeKey: 'x', data: { runbook: 'deploy-service', params: { service: 'orders', version: 'v3' } } },
  ]);
  await stack.backends.db.query(`update run_events set created_at = $1 where stream_id = 'run-deploy-orders'`, [new Date(pivot.getTime() - 10 * 60_000).toISOString()]);
  worker = await spawn();
});
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await stack?.close();
  await loki?.close();
});

test('continue-as-new (threshold from the input) carries the compact state and still resolves', async () => {
  // Same settings as the API's service, but every re-check passes the history threshold.
  const svc = new IncidentService(stack.backends.client, stack.incidents.repo, {
    taskQueue: stack.backends.taskQueue,
    recheckIntervalMs: 1000,
    environment: 'production',
    scopeLabels: [],
    queryLimit: 300,
    continueAfterEvents: 1,
  });
  const { incidentId: id } = await svc.startIncident({
    title: 'Orders backlog',
    severity: 'warning',
    source: 'api',
    requestedBy: olga,
    alerts: [alert('c1', 'OrdersBacklog', 'orders')],
    labels: { team: 'core' },
  });
  const handle = stack.backends.client.workflow.getHandle(id);
  const firstRunId = (await handle.describe()).runId;
  await stack.waitForEvent(id, (e) => e.type === 'incident.analysis');
  await svc.addNote(id, { author: 'olga', text: 'consumer lag since 10:02' });
  const first = await svc.getState(id);
  expect(first.hypotheses[0]).toMatchObject({ id: 'h-orders', service: 'orders' });
  const firstEvidence = first.queries.map((q) => q.evidenceId);
  expect(firstEvidence.length).toBeGreaterThan(3);

  const continued = await stack.waitForEvent(id, (e) => e.type === 'incident.continued' && (e.data.continuations as number) >= 2, 40_000);
  expect(continued.data.historyLength as number).toBeGreaterThan(1);
  const desc = await handle.describe();
  expect(desc.runId).not.toBe(firstRunId);
  expect(desc.status.name).toBe('RUNNING');

  const carried = await svc.getState(id);
  expect(carried.continuations).toBeGreaterThanOrEqual(2);
  expect(carried.notes.map((n) => n.text)).toEqual(['consumer lag since 10:02']);
  expect(carried.alerts.map((a) => a.fingerprint)).toEqual(['c1']);
  expect(carried.labels).toEqual({ team: 'core' });
  expect(carried.hypotheses[0]).toMatchObject({ id: 'h-orders', service: 'orders' });
  expect(carried.queries.map((q) => q.evidenceId)).toEqual(expect.arrayContaining(firstEvidence));
  expect(carried.rounds).toBeGreaterThan(first.rounds);
  expect(carried.rechecks).toBeGreaterThanOrEqual(2);
  expect(carried.budget.queriesUsed).toBeGreaterThan(first.budget.queriesUsed);

  // Updates reach the latest run; resolving wins over continuing.
  const fb = await svc.feedback(id, { hypothesisId: 'h-orders', verdict: 'confirm', by: 'olga' });
  expect(fb).toMatchObject({ feedback: 'confirmed', confidence: 1 });
  const resolved = await svc.resolve(id, 'olga', 'restarted the orders consumer');
  expect(resolved).toMatchObject({ status: 'resolved', resolution: 'restarted the orders consumer' });
  expect(resolved.notes).toHaveLength(1);
  expect(resolved.continuations).toBeGreaterThanOrEqual(2);
  await stack.waitForEvent(id, (e) => e.type === 'incident.resolved');
  const events = await stack.events(id);
  expect(events.filter((e) => e.type === 'incident.started')).toHaveLength(1);
  expect(events.filter((e) => e.type === 'incident.resolved')).toHaveLength(1);
  const report = (await stack.incidents.repo.getReport(id))!;
  expect(report).toContain('Most likely root cause: **«untrusted: orders»**');
  expect(report).toContain('consumer lag since 10:02');
  expect((await handle.describe()).status.name).toBe('COMPLETED');

  // The earlier runs closed as continued-as-new (visibility may lag a moment).
  const deadline = Date.now() + 10_000;
  let statuses: string[] = [];
  while (Date.now() < deadline) {
    statuses = [];
    for await (const wf of stack.backends.client.workflow.list({ query: `WorkflowId = "${id}"` })) statuses.push(wf.status.name);
    if (statuses.filter((s) => s === 'CONTINUED_AS_NEW').length >= 2 && statuses.includes('COMPLETED')) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  expect(statuses.filter((s) => s === 'CONTINUED_AS_NEW').length).toBeGreaterThanOrEqual(2);
}, 60_000);

test('the worker SIGKILLed during the first investigation round: a new worker completes it', async () => {
  loki.delayMs = 6000; // the first round's log queries hang while the worker is killed
  const before = loki.requests.length;
  const { incidentId: id } = await stack.incidents.startIncident({
    title: 'Orders errors',
    severity: 'high',
    source: 'api',
    requestedBy: olga,
    alerts: [alert('k1', 'OrdersErrors', 'orders')],
  });
  await stack.waitForEvent(id, (e) => e.type === 'incident.round.started' && e.data.round === 1);
  const deadline = Date.now() + 10_000;
  while (loki.requests.length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  expect(loki.requests.length).toBeGreaterThan(before); // a gather is in flight
  await killWorker(worker);
  const atKill = (await stack.events(id)).map((e) => e.type);
  expect(atKill).not.toContain('incident.hypotheses');
  expect(atKill).not.toContain('incident.analysis');

  loki.delayMs = 0;
  worker = await spawn();
  const analysis = await stack.waitForEvent(id, (e) => e.type === 'incident.analysis', 45_000);
  expect(analysis.data.missing).toEqual(expect.arrayContaining([expect.stringMatching(/^prometheus: not configured/)]));
  const state = await stack.incidents.getState(id);
  expect(state.hypotheses[0]).toMatchObject({ service: 'orders' });
  expect(state.queries.some((q) => q.language === 'logql' && q.ok)).toBe(true);
  expect(state.status).toBe('monitoring');
  const events = await stack.events(id);
  expect(events.filter((e) => e.type === 'incident.started')).toHaveLength(1);
  expect(events.filter((e) => e.type === 'incident.round.started' && e.data.round === 1)).toHaveLength(1);
  const resolved = await stack.incidents.resolve(id, 'olga', 'rolled back');
  expect(resolved.status).toBe('resolved');
}, 90_000);
