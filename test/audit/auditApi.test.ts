import { randomUUID } from 'node:crypto';
import { AUDITED_ROUTES } from '../../audit/actions';
import { digestInputs, SqlAuditLog, verifyAuditChain, type AuditLog, type AuditRecord } from '../../audit/auditLog';
import { auditWriteFailures, outcomeOf } from '../../audit/auditMiddleware';
import type { RunbookDocument } from '../../domain/runbook';
import type { RunClient } from '../../temporal/runClient';
import { AUTH_TOKENS, catalogueOf, deployService, TOKENS } from '../api/support/fixtures';
import { openBackends, startApi, type Backends, type CallOptions, type TestApi } from '../api/support/testApi';
import { startTestWorker, type TestWorker } from '../api/support/testWorker';

/**
 * The audit trail across the real API: real Temporal server and worker, real Postgres. Every
 * mutating request must leave exactly one row (refusals included), reads none.
 */
const gated: RunbookDocument = {
  name: `audit-gated-${Date.now().toString(36)}`,
  steps: [
    { id: 'gate', type: 'approval', fourEyes: true, approvers: { roles: ['admin'], count: 1 }, message: 'ship it?' },
    { id: 'ship', type: 'wait', needs: ['gate'], duration: '100ms' },
  ],
};
const slowWait: RunbookDocument = { name: 'slow-wait', steps: [{ id: 'pause', type: 'wait', duration: '30s' }] };
const catalogue = catalogueOf([deployService, gated, slowWait]);

let backends: Backends;
let worker: TestWorker;
let audit: SqlAuditLog;
let api: TestApi;

beforeAll(async () => {
  backends = await openBackends('audit');
  worker = await startTestWorker(backends, catalogue);
  audit = new SqlAuditLog(backends.db);
  api = await startApi(backends, { catalogue, env: { AUTH_TOKENS }, audit });
});

afterAll(async () => {
  await api?.close();
  await worker?.stop();
  await backends?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function rowsWithRequestId(requestId: string): Promise<AuditRecord[]> {
  const rows = await backends.db.query<{ id: string }>('select id from audit_log where request_id = $1', [requestId]);
  const all = (await audit.list({ limit: 500 })).items;
  return all.filter((r) => rows.some((row) => Number(row.id) === r.id));
}

/** Calls the API with a fresh request id and returns the response plus the single row it wrote. */
async function act(method: string, pathname: string, options: CallOptions = {}, target: TestApi = api) {
  const requestId = `audit-${randomUUID()}`;
  const res = await target.call(method, pathname, { ...options, headers: { ...options.headers, 'x-request-id': requestId } });
  return { res, requestId, row: () => oneRow(requestId) };
}

async function oneRow(requestId: string): Promise<AuditRecord> {
  const deadline = Date.now() + 10_000;
  let rows: AuditRecord[] = [];
  while (Date.now() < deadline) {
    rows = await rowsWithRequestId(requestId);
    if (rows.length > 0) break;
    await sleep(50);
  }
  await sleep(150); // a second row, if the middleware wrote one, would be there by now
  rows = await rowsWithRequestId(requestId);
  expect(rows).toHaveLength(1);
  return rows[0]!;
}

async function runStatus(runId: string): Promise<string> {
  const res = await api.call('GET', `/api/v1/runs/${runId}`, { token: TOKENS.viewer });
  return (res.body as { status?: string }).status ?? '';
}

describe('one audit row per mutating request', () => {
  let runId: string;
  const gets: string[] = [];

  it('a 401 is recorded as anonymous, refused, with the problem detail', async () => {
    const { res, row } = await act('POST', '/api/v1/runs', { json: { runbook: 'deploy-service' } });
    expect(res.status).toBe(401);
    expect(await row()).toMatchObject({
      subject: 'anonymous',
      roles: [],
      surface: 'api',
      action: 'run.start',
      target: null,
      outcome: 'refused',
      statusCode: 401,
      reason: expect.stringMatching(/missing Authorization header/),
    });
  });

  it('a 403 (viewer starting a run) names the subject, roles and reason', async () => {
    const { res, row } = await act('POST', '/api/v1/runs', { token: TOKENS.viewer, json: { runbook: 'deploy-service', params: { version: 'v1' } } });
    expect(res.status).toBe(403);
    expect(await row()).toMatchObject({
      subject: 'vera',
      roles: ['viewer'],
      action: 'run.start',
      outcome: 'refused',
      statusCode: 403,
      reason: 'this action requires the "operator" role',
    });
  });

  it('a started run is recorded with its run id as target and the digest of its inputs', async () => {
    const body = { runbook: gated.name };
    const { res, row } = await act('POST', '/api/v1/runs', { token: TOKENS.operator, json: body, headers: { 'x-copilot-surface': 'cli' } });
    expect(res.status).toBe(202);
    runId = res.body.runId;
    const record = await row();
    expect(record).toMatchObject({ subject: 'olga', surface: 'cli', action: 'run.start', target: runId, outcome: 'ok', statusCode: 202, reason: null });
    expect(record.inputDigest).toBe(digestInputs({ params: {}, query: {}, body }));
  });

  it('reads write no row', async () => {
    const deadline = Date.now() + 15_000;
    while ((await runStatus(runId)) !== 'waiting_approval') {
      if (Date.now() > deadline) throw new Error('the run never waited for approval');
      await sleep(200);
    }
    for (const path of [`/api/v1/runs/${runId}`, '/api/v1/runs', '/api/v1/runbooks', '/api/v1/audit']) {
      const { res, requestId } = await act('GET', path, { token: TOKENS.admin });
      expect(res.status).toBe(200);
      gets.push(requestId);
    }
    await sleep(300);
    for (const id of gets) expect(await rowsWithRequestId(id)).toEqual([]);
  });

  it('an approval and a second decision on the gate (409) are one row each', async () => {
    const ok = await act('POST', `/api/v1/runs/${runId}/approvals/gate`, { token: TOKENS.admin, json: { decision: 'approve' } });
    expect(ok.res.status).toBe(200);
    expect(await ok.row()).toMatchObject({ subject: 'ada', action: 'approval.decide', target: `${runId}/gate`, outcome: 'ok', statusCode: 200 });
    const again = await act('POST', `/api/v1/runs/${runId}/approvals/gate`, { token: TOKENS.secondAdmin, json: { decision: 'reject' } });
    expect(again.res.status).toBe(409);
    expect(await again.row()).toMatchObject({
      subject: 'alan',
      roles: ['admin', 'approver'],
      action: 'approval.decide',
      target: `${runId}/gate`,
      outcome: 'refused',
      statusCode: 409,
      reason: again.res.body.detail,
    });
  });

  it('a cancel is recorded against its run', async () => {
    const started = await api.call('POST', '/api/v1/runs', { token: TOKENS.operator, json: { runbook: 'slow-wait' } });
    expect(started.status).toBe(202);
    const { res, row } = await act('POST', `/api/v1/runs/${started.body.runId}/cancel`, { token: TOKENS.operator });
    expect(res.status).toBe(202);
    expect(await row()).toMatchObject({ action: 'run.cancel', target: started.body.runId, outcome: 'ok', statusCode: 202 });
  });

  it('every other mutating route writes exactly one row with its action, target and outcome', async () => {
    const samples: Record<string, { path: string; json?: unknown; target: string | null }> = {
      'session.start': { path: '/api/v1/sessions', json: {}, target: null },
      'session.message': { path: '/api/v1/sessions/s-1/messages', json: { text: 'hi' }, target: 's-1' },
      'session.end': { path: '/api/v1/sessions/s-2', target: 's-2' },
      'nlp.parse': { path: '/api/v1/nlp/parse', json: { text: 'cpu of checkout' }, target: null },
      'memory.create': { path: '/api/v1/memories', json: { kind: 'note', text: 'x' }, target: null },
      'memory.delete': { path: '/api/v1/memories/m-1', target: 'm-1' },
      'incident.start': { path: '/api/v1/incidents', json: { title: 'x' }, target: null },
      'incident.note': { path: '/api/v1/incidents/i-1/notes', json: { text: 'x' }, target: 'i-1' },
      'incident.feedback': { path: '/api/v1/incidents/i-1/feedback', json: {}, target: 'i-1' },
      'incident.resolve': { path: '/api/v1/incidents/i-1/resolve', json: {}, target: 'i-1' },
      'incident.remediate': { path: '/api/v1/incidents/i-1/remediate', json: {}, target: 'i-1' },
      'alertmanager.notify': { path: '/api/v1/webhooks/alertmanager', json: { version: '4' }, target: null },
      'run.pause': { path: '/api/v1/runs/run-audit-nope/pause', json: { reason: 'x' }, target: 'run-audit-nope' },
      'run.resume': { path: '/api/v1/runs/run-audit-nope/resume', json: {}, target: 'run-audit-nope' },
      'run.plan': { path: '/api/v1/runs/plan', json: { runbook: 'slow-wait' }, target: null },
      'runbook.compose': { path: '/api/v1/runbooks/compose', json: { goal: 'restart auth' }, target: null },
      'runbook.draft.run': { path: '/api/v1/runbooks/drafts/d-1/runs', json: {}, target: 'd-1' },
      'runbook.draft.promote': { path: '/api/v1/runbooks/drafts/d-1/promote', json: {}, target: 'd-1' },
      'runbook.draft.discard': { path: '/api/v1/runbooks/drafts/d-1/discard', json: {}, target: 'd-1' },
      'slack.user.map': { path: '/api/v1/slack/users/U0AUDIT01', json: { subject: 'x', roles: ['viewer'] }, target: 'U0AUDIT01' },
      'slack.user.unmap': { path: '/api/v1/slack/users/U0AUDIT01', target: 'U0AUDIT01' },
    };
    const covered = new Set(['run.start', 'approval.decide', 'run.cancel', ...Object.keys(samples)]);
    expect(AUDITED_ROUTES.map((r) => r.action).filter((a) => !covered.has(a))).toEqual([]);
    for (const route of AUDITED_ROUTES) {
      const sample = samples[route.action];
      if (!sample) continue;
      const { res, row } = await act(route.method, sample.path, { token: TOKENS.operator, ...(sample.json !== undefined ? { json: sample.json } : {}) });
      const record = await row();
      expect({ action: record.action, target: record.target, outcome: record.outcome, statusCode: record.statusCode, subject: record.subject }).toEqual({
        action: route.action,
        target: sample.target,
        outcome: outcomeOf(res.status),
        statusCode: res.status,
        subject: 'olga',
      });
      expect(record.surface).toBe(route.action === 'alertmanager.notify' ? 'webhook' : 'api');
    }
  });

  it('an unknown route, an untrusted surface claim and an unauthenticated webhook are still one row', async () => {
    const unknown = await act('POST', '/api/v1/nope/42', { token: TOKENS.operator, json: {}, headers: { 'x-copilot-surface': 'slack' } });
    expect(unknown.res.status).toBe(404);
    expect(await unknown.row()).toMatchObject({ action: 'POST (unmatched)', target: '/nope/42', surface: 'api', outcome: 'refused' });
    const hook = await act('POST', '/api/v1/webhooks/alertmanager', { json: {} });
    expect(hook.res.status).toBe(401);
    expect(await hook.row()).toMatchObject({ subject: 'anonymous', surface: 'webhook', action: 'alertmanager.notify', outcome: 'refused' });
  });

  it('the chain over everything the API wrote verifies', async () => {
    expect(await verifyAuditChain(backends.db)).toMatchObject({ ok: true });
  });
});

describe('GET /api/v1/audit', () => {
  it('is admin only', async () => {
    for (const token of [TOKENS.viewer, TOKENS.operator, TOKENS.approver]) {
      expect((await api.call('GET', '/api/v1/audit', { token })).status).toBe(403);
    }
  });

  it('filters by subject, action, target, surface, outcome and time', async () => {
    const get = async (query: string) => (await api.call<{ items: AuditRecord[] }>('GET', `/api/v1/audit?${query}`, { token: TOKENS.admin })).body.items;
    const vera = await get('subject=vera');
    expect(vera.length).toBeGreaterThan(0);
    expect(vera.every((r) => r.subject === 'vera')).toBe(true);
    const refusedStarts = await get('action=run.start&outcome=refused');
    expect(refusedStarts.map((r) => r.statusCode).sort()).toEqual([401, 403]);
    expect((await get('surface=cli')).map((r) => r.action)).toEqual(['run.start']);
    const decided = await get('action=approval.decide');
    expect(await get(`target=${encodeURIComponent(decided[0]!.target!)}`)).toHaveLength(2);
    expect(await get(`from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).toEqual([]);
    const all = await get('limit=500');
    expect(await get(`from=2000-01-01T00:00:00Z&to=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}&limit=500`)).toHaveLength(all.length);
  });

  it('pages with nextCursor, newest first, without gaps or repeats', async () => {
    const all = (await api.call<{ items: AuditRecord[] }>('GET', '/api/v1/audit?limit=500', { token: TOKENS.admin })).body.items;
    const seen: number[] = [];
    let cursor: string | undefined;
    do {
      const res = await api.call<{ items: AuditRecord[]; nextCursor?: string }>('GET', `/api/v1/audit?limit=3${cursor ? `&cursor=${cursor}` : ''}`, { token: TOKENS.admin });
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(3);
      seen.push(...res.body.items.map((r) => r.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.map((r) => r.id));
    expect(seen).toEqual([...seen].sort((a, b) => b - a));
  });

  it.each([
    ['limit=501', 'limit'],
    ['limit=0', 'limit'],
    ['cursor=bm9wZQ', 'cursor'],
    ['from=yesterday', 'from'],
    ['to=2020-01-01T00:00:00Z&from=2021-01-01T00:00:00Z', 'to'],
    ['outcome=maybe', 'outcome'],
    ['surface=telnet', 'surface'],
    ['colour=red', 'colour'],
  ])('answers 400 naming the field for %s', async (query, field) => {
    const res = await api.call('GET', `/api/v1/audit?${query}`, { token: TOKENS.admin });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(`query.${field}`);
  });
});

describe('audit writes are decoupled from the request', () => {
  it('keeps the row when the client disconnects before the answer', async () => {
    const real = backends.runs;
    const slow = Object.assign(Object.create(real) as RunClient, {
      startRun: async (input: Parameters<RunClient['startRun']>[0]) => {
        await sleep(1000);
        return real.startRun(input);
      },
    });
    const slowApi = await startApi(backends, { catalogue, env: { AUTH_TOKENS }, audit, runs: slow });
    try {
      const requestId = `audit-${randomUUID()}`;
      const controller = new AbortController();
      const pending = fetch(`${slowApi.url}/api/v1/runs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKENS.operator}`, 'content-type': 'application/json', 'x-request-id': requestId },
        body: JSON.stringify({ runbook: 'deploy-service', params: { version: 'v7' } }),
        signal: controller.signal,
      });
      await sleep(200);
      controller.abort();
      await expect(pending).rejects.toThrow();
      const record = await oneRow(requestId);
      expect(record).toMatchObject({ action: 'run.start', outcome: 'ok', statusCode: 202, target: expect.stringMatching(/^run-/) });
    } finally {
      await slowApi.close();
    }
  });

  it('a failing audit write is logged and counted but the action still succeeds', async () => {
    const broken: AuditLog = { append: () => Promise.reject(new Error('audit db down')), list: (f) => audit.list(f) };
    const before = (await auditWriteFailures.get()).values.find((v) => v.labels.surface === 'api')?.value ?? 0;
    const brokenApi = await startApi(backends, { catalogue, env: { AUTH_TOKENS }, audit: broken });
    try {
      const res = await brokenApi.call('POST', '/api/v1/runs', { token: TOKENS.operator, json: { runbook: 'deploy-service', params: { version: 'v8' } } });
      expect(res.status).toBe(202);
      const deadline = Date.now() + 5000;
      while (!brokenApi.logs.some((l) => l.includes('AUDIT WRITE FAILED')) && Date.now() < deadline) await sleep(20);
      const line = brokenApi.logs.find((l) => l.includes('AUDIT WRITE FAILED'));
      expect(line).toContain('audit db down');
      expect(line).toContain(res.body.runId);
      expect((await auditWriteFailures.get()).values.find((v) => v.labels.surface === 'api')?.value).toBe(before + 1);
    } finally {
      await brokenApi.close();
    }
  });
});
