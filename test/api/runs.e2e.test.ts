import type { RunbookDocument } from '../../domain/runbook';
import { AUTH_TOKENS, catalogueOf, deployService, quickWait, TOKENS } from './support/fixtures';
import { openSse, type SseEvent } from './support/sseClient';
import { openBackends, startApi, type Backends, type TestApi } from './support/testApi';
import { startTestWorker, type TestWorker } from './support/testWorker';

/**
 * The API end to end: real Temporal server and worker, real Postgres event log, the real app on an
 * ephemeral port, called over HTTP and SSE like a client would.
 */
const suffix = Date.now().toString(36);
const gatedName = `api-gated-${suffix}`;
const cancelName = `api-cancel-${suffix}`;
const catalogue = catalogueOf([deployService, quickWait]);

let backends: Backends;
let api: TestApi;
let worker: TestWorker;

beforeAll(async () => {
  backends = await openBackends('e2e');
  worker = await startTestWorker(backends, catalogue);
  api = await startApi(backends, { catalogue, env: { AUTH_TOKENS } });
});

afterAll(async () => {
  await api?.close();
  await worker?.stop();
  await backends?.close();
});

const gated: RunbookDocument = {
  name: gatedName,
  steps: [
    { id: 'prep', type: 'wait', duration: '100ms' },
    { id: 'gate', type: 'approval', needs: ['prep'], fourEyes: true, approvers: { roles: ['admin'], count: 1 }, message: 'ship it?' },
    { id: 'ship', type: 'wait', needs: ['gate'], duration: '100ms' },
  ],
};

const seqs = (events: SseEvent[]) => events.map((e) => Number(e.id));
const has = (type: string) => (events: SseEvent[]) => events.some((e) => e.event === type);

async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('a gated run through the API', () => {
  let runId: string;
  let firstBatch: SseEvent[];

  it('starts an inline definition (admin) with 202 and links', async () => {
    const res = await api.call('POST', '/api/v1/runs', { token: TOKENS.admin, json: { definition: gated } });
    expect(res.status).toBe(202);
    runId = res.body.runId;
    expect(runId).toMatch(/^run-[0-9a-f-]{36}$/);
    expect(res.body).toEqual({
      runId,
      status: 'running',
      links: {
        self: `/api/v1/runs/${runId}`,
        events: `/api/v1/runs/${runId}/events`,
        temporalUi: `http://temporal-ui.test:8233/namespaces/default/workflows/${runId}`,
      },
    });
    expect(res.headers.get('location')).toBe(`/api/v1/runs/${runId}`);
  });

  it('streams events over SSE until the approval is requested, with heartbeats', async () => {
    const stream = await openSse(`${api.url}/api/v1/runs/${runId}/events`, { token: TOKENS.viewer });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(stream.headers.get('x-accel-buffering')).toBe('no');
    firstBatch = await stream.waitFor(has('approval.requested'));
    expect(seqs(firstBatch)).toEqual(firstBatch.map((_, i) => i + 1));
    expect(firstBatch[0]!.event).toBe('run.started');
    for (const event of firstBatch) {
      const data = JSON.parse(event.data) as Record<string, unknown>;
      expect(data).toMatchObject({ seq: Number(event.id), type: event.event, createdAt: expect.any(String) });
    }
    const requested = JSON.parse(firstBatch.at(-1)!.data) as Record<string, unknown>;
    expect(requested).toMatchObject({ type: 'approval.requested', gateId: 'gate' });
    await stream.waitFor(() => stream.comments() > 0, 5000); // SSE_HEARTBEAT_MS=1000
    expect(stream.isEnded()).toBe(false);
    stream.close();
  });

  it('reports the run state while it waits', async () => {
    const res = await api.call('GET', `/api/v1/runs/${runId}`, { token: TOKENS.viewer });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ runId, runbook: gatedName, status: 'waiting_approval', requestedBy: 'ada' });
    expect(res.body.approvals[0]).toMatchObject({ gateId: 'gate', status: 'pending', fourEyes: true, requiredRoles: ['admin'] });
  });

  it('refuses the requester (four-eyes) and an approver without the gate role with 403', async () => {
    const own = await api.call('POST', `/api/v1/runs/${runId}/approvals/gate`, { token: TOKENS.admin, json: { decision: 'approve' } });
    expect(own.status).toBe(403);
    expect(own.body.detail).toMatch(/four-eyes/);
    const noRole = await api.call('POST', `/api/v1/runs/${runId}/approvals/gate`, { token: TOKENS.approver, json: { decision: 'approve' } });
    expect(noRole.status).toBe(403);
    expect(noRole.body.detail).toMatch(/admin/);
    const unknownGate = await api.call('POST', `/api/v1/runs/${runId}/approvals/nope`, { token: TOKENS.secondAdmin, json: { decision: 'approve' } });
    expect(unknownGate.status).toBe(404);
  });

  it("accepts a second admin's approval (200, gate state) and refuses a second decision with 409", async () => {
    const ok = await api.call('POST', `/api/v1/runs/${runId}/approvals/gate`, {
      token: TOKENS.secondAdmin,
      json: { decision: 'approve', comment: 'looks good' },
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ gateId: 'gate', status: 'approved', decidedBy: 'alan', via: 'api', comment: 'looks good' });
    const again = await api.call('POST', `/api/v1/runs/${runId}/approvals/gate`, { token: TOKENS.secondAdmin, json: { decision: 'reject' } });
    expect(again.status).toBe(409);
  });

  it('resumes from Last-Event-ID with exactly the missed events and ends after run.completed', async () => {
    const lastSeen = firstBatch.at(-1)!.id!;
    const stream = await openSse(`${api.url}/api/v1/runs/${runId}/events`, { token: TOKENS.viewer, lastEventId: lastSeen });
    await stream.ended;
    const resumed = stream.events;
    expect(resumed[0]!.id).toBe(String(Number(lastSeen) + 1));
    expect(resumed.at(-1)!.event).toBe('run.completed');
    const all = [...firstBatch, ...resumed];
    expect(seqs(all)).toEqual(all.map((_, i) => i + 1)); // no gap, no duplicate
    expect(resumed.map((e) => e.event)).toContain('approval.decided');
    const stored = await backends.store.list(runId, 0, 1000);
    expect(all.map((e) => `${e.id}:${e.event}`)).toEqual(stored.map((e) => `${e.seq}:${e.type}`));
  });

  it('replays a closed run from ?lastEventId= and answers 204 when nothing is left', async () => {
    // run.completed is stored a moment before the workflow closes (the approvals feed copy follows it).
    for (let i = 0; i < 100 && !(await backends.runs.describeRun(runId))?.closeTime; i++) await new Promise((r) => setTimeout(r, 100));
    const stored = await backends.store.list(runId, 0, 1000);
    const replay = await openSse(`${api.url}/api/v1/runs/${runId}/events?lastEventId=2`, { token: TOKENS.viewer });
    await replay.ended;
    expect(seqs(replay.events)).toEqual(stored.slice(2).map((e) => e.seq));
    const done = await openSse(`${api.url}/api/v1/runs/${runId}/events`, { token: TOKENS.viewer, lastEventId: String(stored.at(-1)!.seq) });
    expect(done.status).toBe(204);
  });

  it('reports the finished run and refuses decisions and cancellation with 409', async () => {
    const state = await api.call('GET', `/api/v1/runs/${runId}`, { token: TOKENS.viewer });
    expect(state.body).toMatchObject({ status: 'succeeded', approvals: [{ status: 'approved', decidedBy: 'alan' }] });
    const decide = await api.call('POST', `/api/v1/runs/${runId}/approvals/gate`, { token: TOKENS.secondAdmin, json: { decision: 'approve' } });
    expect(decide.status).toBe(409);
    const cancel = await api.call('POST', `/api/v1/runs/${runId}/cancel`, { token: TOKENS.operator });
    expect(cancel.status).toBe(409);
  });
});

describe('idempotent starts', () => {
  const key = `deploy-${suffix}`;
  const body = { runbook: 'deploy-service', params: { version: 'v7' }, idempotencyKey: key };

  it('returns the same run for the same key (200) and starts exactly one workflow', async () => {
    const first = await api.call('POST', '/api/v1/runs', { token: TOKENS.operator, json: body });
    expect(first.status).toBe(202);
    const second = await api.call('POST', '/api/v1/runs', { token: TOKENS.operator, json: body });
    expect(second.status).toBe(200);
    expect(second.body.runId).toBe(first.body.runId);
    // Same params spelled differently (defaults applied) are still the same request.
    const withDefault = await api.call('POST', '/api/v1/runs', { token: TOKENS.operator, json: { ...body, params: { replicas: 2, version: 'v7' } } });
    expect(withDefault.status).toBe(200);
    expect(withDefault.body.runId).toBe(first.body.runId);
    const count = await eventually(async () => {
      const { count: n } = await backends.client.workflow.count(`WorkflowId = "${first.body.runId}"`);
      return n >= 1 ? n : undefined;
    });
    expect(count).toBe(1);
  });

  it('answers 409 for the same key with different params or runbook', async () => {
    const params = await api.call('POST', '/api/v1/runs', { token: TOKENS.operator, json: { ...body, params: { version: 'v8' } } });
    expect(params.status).toBe(409);
    const runbook = await api.call('POST', '/api/v1/runs', { token: TOKENS.operator, json: { runbook: 'quick-wait', idempotencyKey: key } });
    expect(runbook.status).toBe(409);
  });

  it('scopes keys to the caller: another subject with the same key gets its own run', async () => {
    const mine = await api.call('POST', '/api/v1/runs', { token: TOKENS.operator, json: body });
    const theirs = await api.call('POST', '/api/v1/runs', { token: TOKENS.admin, json: body });
    expect(theirs.status).toBe(202);
    expect(theirs.body.runId).not.toBe(mine.body.runId);
  });
});

describe('cancellation and listing', () => {
  let cancelledRunId: string;

  it('cancels a running run: 202, run.cancelled on the stream, then 409 for a second cancel', async () => {
    const definition: RunbookDocument = {
      name: cancelName,
      steps: [
        { id: 'first', type: 'wait', duration: '50ms' },
        { id: 'long', type: 'wait', needs: ['first'], duration: '1h' },
      ],
    };
    const started = await api.call('POST', '/api/v1/runs', { token: TOKENS.admin, json: { definition } });
    expect(started.status).toBe(202);
    cancelledRunId = started.body.runId;
    const stream = await openSse(`${api.url}/api/v1/runs/${cancelledRunId}/events`, { token: TOKENS.viewer });
    await stream.waitFor((events) => events.some((e) => e.event === 'step.started' && JSON.parse(e.data).stepId === 'long'));

    const cancel = await api.call('POST', `/api/v1/runs/${cancelledRunId}/cancel`, { token: TOKENS.operator });
    expect(cancel.status).toBe(202);
    expect(cancel.body).toMatchObject({ runId: cancelledRunId });
    await stream.ended;
    expect(stream.events.at(-1)!.event).toBe('run.cancelled');
    expect(seqs(stream.events)).toEqual(stream.events.map((_, i) => i + 1));

    const state = await eventually(async () => {
      const res = await api.call('GET', `/api/v1/runs/${cancelledRunId}`, { token: TOKENS.viewer });
      return res.body.status === 'cancelled' ? res.body : undefined;
    });
    expect(state.steps.find((s: { id: string }) => s.id === 'long')).toMatchObject({ status: 'cancelled' });
    const again = await eventually(async () => {
      const res = await api.call('POST', `/api/v1/runs/${cancelledRunId}/cancel`, { token: TOKENS.operator });
      return res.status === 409 ? res : undefined;
    });
    expect(again.body.type).toMatch(/run-closed/);
  });

  it('ends an open stream when the run is terminated from outside (no terminal event is ever written)', async () => {
    const definition: RunbookDocument = { name: `${cancelName}-term`, steps: [{ id: 'long', type: 'wait', duration: '1h' }] };
    const started = await api.call('POST', '/api/v1/runs', { token: TOKENS.admin, json: { definition } });
    const runId = started.body.runId as string;
    const stream = await openSse(`${api.url}/api/v1/runs/${runId}/events`, { token: TOKENS.viewer });
    await stream.waitFor((events) => events.some((e) => e.event === 'step.started'));
    // What the Temporal UI's "Terminate" does: the workflow gets no chance to write anything.
    await backends.client.workflow.getHandle(runId).terminate('operator pressed Terminate');
    await stream.ended;
    expect(stream.isEnded()).toBe(true);
    expect(stream.events.map((e) => e.event)).not.toContain('run.cancelled');
  });

  it('lists runs filtered by runbook and status, with paging', async () => {
    const list = (query: string) => api.call('GET', `/api/v1/runs?${query}`, { token: TOKENS.viewer });
    const gatedRuns = await eventually(async () => {
      const res = await list(`runbook=${gatedName}&status=succeeded`);
      return res.body.items.length === 1 ? res.body.items : undefined;
    });
    expect(gatedRuns[0]).toMatchObject({ runbook: gatedName, status: 'succeeded', requestedBy: 'ada', startTime: expect.any(String), closeTime: expect.any(String) });

    const cancelled = await eventually(async () => {
      const res = await list(`status=cancelled&runbook=${cancelName}`);
      return res.body.items.length === 1 ? res.body.items : undefined;
    });
    expect(cancelled[0]).toMatchObject({ runId: cancelledRunId, status: 'cancelled' });
    expect((await list(`status=running&runbook=${cancelName}`)).body.items).toEqual([]);

    // Paging: deploy-service has two keyed runs from this file (and maybe more from others).
    const pageOne = await list('runbook=deploy-service&limit=1');
    expect(pageOne.status).toBe(200);
    expect(pageOne.body.items).toHaveLength(1);
    expect(pageOne.body.nextPageToken).toEqual(expect.any(String));
    const pageTwo = await list(`runbook=deploy-service&limit=1&pageToken=${pageOne.body.nextPageToken}`);
    expect(pageTwo.status).toBe(200);
    expect(pageTwo.body.items).toHaveLength(1);
    expect(pageTwo.body.items[0].runId).not.toBe(pageOne.body.items[0].runId);
    for (const item of [...pageOne.body.items, ...pageTwo.body.items]) expect(item.runbook).toBe('deploy-service');
  });
});
