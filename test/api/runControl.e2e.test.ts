import { SqlAuditLog, type AuditRecord } from '../../audit/auditLog';
import type { RunbookDocument } from '../../domain/runbook';
import { AUTH_TOKENS, catalogueOf, TOKENS } from './support/fixtures';
import { openBackends, startApi, type Backends, type TestApi } from './support/testApi';
import { startTestWorker, type TestWorker } from './support/testWorker';

/**
 * Run control through the API (issue #15): pause / resume with who and why, against the real
 * Temporal server and worker, the real Postgres event log and the audit trail.
 */
const suffix = Date.now().toString(36);
const twoWaits: RunbookDocument = {
  name: `api-pausable-${suffix}`,
  steps: [
    { id: 'first', type: 'wait', duration: '1500ms' },
    { id: 'second', type: 'wait', needs: ['first'], duration: '100ms' },
  ],
};
const gated: RunbookDocument = {
  name: `api-bound-${suffix}`,
  params: { version: { type: 'string', required: true } },
  steps: [
    { id: 'gate', type: 'approval', approvers: { roles: ['approver'] }, fourEyes: true, inputs: { ticket: { type: 'string', required: true } } },
    { id: 'ship', type: 'wait', needs: ['gate'], duration: '50ms' },
  ],
};
const catalogue = catalogueOf([twoWaits, gated]);

let backends: Backends;
let worker: TestWorker;
let audit: SqlAuditLog;
let api: TestApi;

beforeAll(async () => {
  backends = await openBackends('runcontrol');
  worker = await startTestWorker(backends, catalogue);
  audit = new SqlAuditLog(backends.db);
  api = await startApi(backends, { catalogue, env: { AUTH_TOKENS }, audit });
});
afterAll(async () => {
  await api?.close();
  await worker?.stop();
  await backends?.close();
});

async function eventually<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** The audit rows of `action` on `target`, once there are at least `count` (rows are written after the answer). */
async function auditRows(action: string, target: string, count = 1): Promise<AuditRecord[]> {
  return eventually(async () => {
    const rows = (await audit.list({ action, target, limit: 50 })).items;
    return rows.length >= count && rows;
  });
}

describe('pause and resume', () => {
  let runId: string;

  it('pauses a running run (operator, reason required) and reports it in the state, the listing and the events', async () => {
    const started = await api.call('POST', '/api/v1/runs', { token: TOKENS.operator, json: { runbook: twoWaits.name } });
    expect(started.status).toBe(202);
    runId = started.body.runId;

    const viewer = await api.call('POST', `/api/v1/runs/${runId}/pause`, { token: TOKENS.viewer, json: { reason: 'x' } });
    expect(viewer.status).toBe(403);
    const noReason = await api.call('POST', `/api/v1/runs/${runId}/pause`, { token: TOKENS.operator, json: {} });
    expect(noReason.status).toBe(400);
    expect(noReason.body.errors).toEqual([expect.objectContaining({ path: 'reason' })]);
    const badQuery = await api.call('POST', `/api/v1/runs/${runId}/pause?immediate=yes`, { token: TOKENS.operator, json: { reason: 'x' } });
    expect(badQuery.status).toBe(400);
    expect(badQuery.body.errors).toEqual([expect.objectContaining({ path: 'query.immediate' })]);

    const paused = await api.call('POST', `/api/v1/runs/${runId}/pause`, { token: TOKENS.operator, json: { reason: 'incident INC-7 open' } });
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ runId, status: 'paused', pause: { by: 'olga', via: 'api', reason: 'incident INC-7 open', immediate: false } });

    const again = await api.call('POST', `/api/v1/runs/${runId}/pause`, { token: TOKENS.operator, json: { reason: 'twice' } });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ type: 'urn:copilot:problem:run-not-pausable', detail: expect.stringContaining('already paused') });

    // `first` finishes, `second` waits for the resume.
    const waiting = await eventually(async () => {
      const res = await api.call('GET', `/api/v1/runs/${runId}`, { token: TOKENS.viewer });
      return res.body.steps?.[0]?.status === 'succeeded' && res.body;
    });
    expect(waiting).toMatchObject({ status: 'paused', pause: { by: 'olga' } });
    expect(waiting.steps[1].status).toBe('pending');
    const listed = await eventually(async () => {
      const res = await api.call('GET', `/api/v1/runs?status=paused&runbook=${twoWaits.name}`, { token: TOKENS.viewer });
      return res.body.items?.length === 1 && res.body.items;
    });
    expect(listed[0]).toMatchObject({ runId, status: 'paused' });
  });

  it('resumes (409 for a run that is not paused), the run completes, and both actions are audited', async () => {
    const resumed = await api.call('POST', `/api/v1/runs/${runId}/resume`, { token: TOKENS.operator, json: { reason: 'INC-7 resolved' } });
    expect(resumed.status).toBe(200);
    expect(resumed.body).toMatchObject({ runId, status: 'running' });
    const twice = await api.call('POST', `/api/v1/runs/${runId}/resume`, { token: TOKENS.operator, json: {} });
    expect(twice.status).toBe(409);
    expect(twice.body.type).toBe('urn:copilot:problem:run-not-paused');

    const done = await eventually(async () => {
      const res = await api.call('GET', `/api/v1/runs/${runId}`, { token: TOKENS.viewer });
      return res.body.status === 'succeeded' && res.body;
    });
    expect(done.pause).toBeUndefined();
    const closed = await api.call('POST', `/api/v1/runs/${runId}/resume`, { token: TOKENS.operator, json: {} });
    expect(closed.status).toBe(409);

    const events = await backends.store.list(runId, 0);
    expect(events.find((e) => e.type === 'run.paused')!.data).toMatchObject({ by: 'olga', via: 'api', reason: 'incident INC-7 open' });
    expect(events.find((e) => e.type === 'run.resumed')!.data).toMatchObject({ by: 'olga', reason: 'INC-7 resolved', pausedBy: 'olga' });

    const pauses = await auditRows('run.pause', runId, 2);
    expect(pauses.map((r) => [r.subject, r.outcome, r.statusCode])).toEqual(
      expect.arrayContaining([
        ['olga', 'ok', 200],
        ['olga', 'refused', 409],
      ]),
    );
    const resumes = await auditRows('run.resume', runId);
    expect(resumes.some((r) => r.subject === 'olga' && r.outcome === 'ok')).toBe(true);
  });

  it('answers 404 for an unknown run', async () => {
    const res = await api.call('POST', '/api/v1/runs/run-does-not-exist/pause', { token: TOKENS.operator, json: { reason: 'x' } });
    expect(res.status).toBe(404);
  });
});

describe('approvals bound to the plan digest', () => {
  it('refuses a decision on another digest with 409 and the current digest, takes the right one with its inputs', async () => {
    const started = await api.call('POST', '/api/v1/runs', { token: TOKENS.operator, json: { runbook: gated.name, params: { version: 'v1' } } });
    const runId = started.body.runId as string;
    const gate = await eventually(async () => {
      const res = await api.call('GET', `/api/v1/runs/${runId}`, { token: TOKENS.viewer });
      return res.body.approvals?.[0];
    });
    expect(gate.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    // Temporal user metadata set at start: the Workflows list says what the run is.
    const described = await backends.client.workflow.getHandle(runId).describe();
    expect(await described.staticSummary()).toBe(`${gated.name}: v1 (by olga)`);
    const details = (await described.staticDetails()) ?? '';
    expect(details).toContain(`| runbook | \`${gated.name}\` |`);
    expect(details).toContain('| version | `v1` |');
    expect(details).toContain('| requested by | `olga` |');
    expect(gate.inputSpecs).toEqual({ ticket: { type: 'string', required: true } });

    const url = `/api/v1/runs/${runId}/approvals/gate`;
    const badShape = await api.call('POST', url, { token: TOKENS.approver, json: { decision: 'approve', digest: 'abc' } });
    expect(badShape.status).toBe(400);
    expect(badShape.body.errors).toEqual([expect.objectContaining({ path: 'digest' })]);

    const stale = `sha256:${'a'.repeat(64)}`;
    const mismatch = await api.call('POST', url, { token: TOKENS.approver, json: { decision: 'approve', digest: stale, inputs: { ticket: 'CHG-1' } } });
    expect(mismatch.status).toBe(409);
    expect(mismatch.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(mismatch.body).toMatchObject({ type: 'urn:copilot:problem:approval-digest-mismatch', currentDigest: gate.digest });
    expect(mismatch.body.errors).toEqual([{ path: 'digest', message: `must be the gate's current digest ${gate.digest}` }]);

    const noInputs = await api.call('POST', url, { token: TOKENS.approver, json: { decision: 'approve', digest: gate.digest } });
    expect(noInputs.status).toBe(422);
    expect(noInputs.body).toMatchObject({ type: 'urn:copilot:problem:approval-inputs-invalid', errors: [expect.objectContaining({ path: 'inputs' })] });

    const ok = await api.call('POST', url, { token: TOKENS.approver, json: { decision: 'approve', digest: gate.digest, inputs: { ticket: 'CHG-9' } } });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ status: 'approved', decidedBy: 'adam', inputs: { ticket: 'CHG-9' } });
    expect(ok.body.votes[0]).toMatchObject({ digest: gate.digest, bound: true });

    const rows = await auditRows('approval.decide', `${runId}/gate`, 4);
    expect(rows.map((r) => r.statusCode).sort()).toEqual([200, 400, 409, 422]);
  });
});

describe('resume with parameters', () => {
  it('checks the params (422 naming each field), then re-plans the open gate so a decision on the old digest is refused', async () => {
    const started = await api.call('POST', '/api/v1/runs', { token: TOKENS.operator, json: { runbook: gated.name, params: { version: 'v1' } } });
    const runId = started.body.runId as string;
    const before = await eventually(async () => (await api.call('GET', `/api/v1/runs/${runId}`, { token: TOKENS.viewer })).body.approvals?.[0]);
    expect((await api.call('POST', `/api/v1/runs/${runId}/pause`, { token: TOKENS.operator, json: { reason: 'wrong version' } })).status).toBe(200);

    const empty = await api.call('POST', `/api/v1/runs/${runId}/resume`, { token: TOKENS.operator, json: { params: {} } });
    expect(empty.status).toBe(400);
    expect(empty.body.errors).toEqual([expect.objectContaining({ path: 'params' })]);
    const unknown = await api.call('POST', `/api/v1/runs/${runId}/resume`, { token: TOKENS.operator, json: { params: { colour: 'red', version: 7 } } });
    expect(unknown.status).toBe(422);
    expect(unknown.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(unknown.body.type).toBe('urn:copilot:problem:resume-params-invalid');
    expect(unknown.body.detail).toMatch(/params\.colour/);
    expect(unknown.body.detail).toMatch(/params\.version/);

    const resumed = await api.call('POST', `/api/v1/runs/${runId}/resume`, { token: TOKENS.operator, json: { reason: 'v2 it is', params: { version: 'v2' } } });
    expect(resumed.status).toBe(200);
    expect(resumed.body).toMatchObject({ runId, status: 'waiting_approval', params: { version: 'v2' } });
    const gate = (await api.call('GET', `/api/v1/runs/${runId}`, { token: TOKENS.viewer })).body.approvals[0];
    expect(gate.digest).not.toBe(before.digest);

    const url = `/api/v1/runs/${runId}/approvals/gate`;
    const stale = await api.call('POST', url, { token: TOKENS.approver, json: { decision: 'approve', digest: before.digest, inputs: { ticket: 'CHG-2' } } });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ type: 'urn:copilot:problem:approval-digest-mismatch', currentDigest: gate.digest });
    const ok = await api.call('POST', url, { token: TOKENS.approver, json: { decision: 'approve', digest: gate.digest, inputs: { ticket: 'CHG-2' } } });
    expect(ok.status).toBe(200);
    const events = await backends.store.list(runId, 0);
    expect(events.find((e) => e.type === 'approval.replanned')!.data).toMatchObject({ gateId: 'gate', previousDigest: before.digest, digest: gate.digest, by: 'olga' });
    const resumes = await auditRows('run.resume', runId, 3);
    expect(resumes.map((r) => r.statusCode).sort()).toEqual([200, 400, 422]);
  });
});
