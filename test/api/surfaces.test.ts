import { startChatStack, TOKENS, type ChatStack } from '../chat/support/chatStack';
import { openSse, type SseEvent, type SseStream } from './support/sseClient';

/**
 * The endpoints the console and the CLI are built on, against the real stack (Temporal, worker,
 * Postgres event log): /me, the session list, the approvals inbox and its live feed, dry-run
 * plans, and the run list's requester filter.
 * Principals (fixtures): vera viewer, olga operator, adam approver, ada admin, alan admin+approver.
 */
let stack: ChatStack;

beforeAll(async () => {
  stack = await startChatStack('surfaces');
});

afterAll(async () => {
  await stack?.close();
});

async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 200));
  }
}

const deployProduction = { runbook: 'deploy-service', params: { service: 'auth', version: 'v2.3.1', environment: 'production' } };
const dataOf = (e: SseEvent) => JSON.parse(e.data) as Record<string, unknown>;
const feedHas = (type: string, runId: string) => (events: SseEvent[]) => events.some((e) => e.event === type && dataOf(e).runId === runId);

describe('GET /api/v1/me', () => {
  it('tells each caller who they are and what they may do', async () => {
    const viewer = await stack.call('GET', '/api/v1/me', { token: TOKENS.viewer });
    expect(viewer.status).toBe(200);
    expect(viewer.body).toMatchObject({ subject: 'vera', roles: ['viewer'], temporalNamespace: 'default' });
    expect(viewer.body.permissions).toMatchObject({ viewRuns: true, startRuns: false, decideApprovals: false, readAudit: false, chat: true });
    const approver = await stack.call('GET', '/api/v1/me', { token: TOKENS.approver });
    expect(approver.body.permissions).toMatchObject({ decideApprovals: true, startRuns: false });
    const admin = await stack.call('GET', '/api/v1/me', { token: TOKENS.admin });
    expect(admin.body.permissions).toMatchObject({ startRuns: true, startInlineRuns: true, decideApprovals: true, readAudit: true, cancelRuns: true });
    expect(typeof admin.body.temporalUiUrl).toBe('string');
  });

  it('is 401 without a token and 400 naming an unknown query field', async () => {
    expect((await stack.call('GET', '/api/v1/me')).status).toBe(401);
    const bad = await stack.call('GET', '/api/v1/me?x=1', { token: TOKENS.viewer });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('query.x');
  });
});

describe('POST /api/v1/runs/plan', () => {
  it('plans a production deploy: batches in order, rendered message, the four-eyes gate and what it guards', async () => {
    const res = await stack.call('POST', '/api/v1/runs/plan', { token: TOKENS.operator, json: deployProduction });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      runbook: 'deploy-service',
      params: { service: 'auth', version: 'v2.3.1', environment: 'production' },
      batches: [['build'], ['approve'], ['deploy']],
    });
    expect(res.body.steps.map((s: { id: string; batch: number }) => [s.id, s.batch])).toEqual([
      ['build', 0],
      ['approve', 1],
      ['deploy', 2],
    ]);
    const approve = res.body.steps.find((s: { id: string }) => s.id === 'approve');
    expect(approve.when).toEqual({ expression: "params.environment == 'production'", outcome: 'runs' });
    expect(approve.action.message).toBe('Deploy auth');
    expect(res.body.steps.find((s: { id: string }) => s.id === 'deploy').gatedBy).toEqual(['approve']);
    expect(res.body.gates).toEqual([
      { gateId: 'approve', stops: 'stop', message: 'Deploy auth', roles: ['approver'], count: 1, fourEyes: true, requesterMayApprove: false, guards: ['deploy'] },
    ]);
    // Nothing was started.
    const runs = await stack.call('GET', '/api/v1/runs?requester=olga', { token: TOKENS.viewer });
    expect(runs.body.items).toEqual([]);
  });

  it('says the gate is skipped for staging', async () => {
    const res = await stack.call('POST', '/api/v1/runs/plan', { token: TOKENS.operator, json: { ...deployProduction, params: { service: 'auth', version: 'v1' } } });
    expect(res.status).toBe(200);
    expect(res.body.params.environment).toBe('staging');
    expect(res.body.gates[0]).toMatchObject({ gateId: 'approve', stops: 'skipped' });
  });

  it('refuses bad params with the same field errors as POST /runs', async () => {
    const body = { runbook: 'deploy-service', params: { service: 'Auth!', environment: 'prod', colour: 'red' } };
    const plan = await stack.call('POST', '/api/v1/runs/plan', { token: TOKENS.operator, json: body });
    const start = await stack.call('POST', '/api/v1/runs', { token: TOKENS.operator, json: body });
    expect(plan.status).toBe(422);
    expect(start.status).toBe(422);
    expect(plan.body.errors).toEqual(start.body.errors);
    const paths = plan.body.errors.map((e: { path: string }) => e.path).sort();
    expect(paths).toEqual(['params.colour', 'params.environment', 'params.service', 'params.version']);
  });

  it('is 404 for an unknown runbook, 403 for a viewer, 403 for an inline definition without admin', async () => {
    expect((await stack.call('POST', '/api/v1/runs/plan', { token: TOKENS.operator, json: { runbook: 'nope' } })).status).toBe(404);
    expect((await stack.call('POST', '/api/v1/runs/plan', { token: TOKENS.viewer, json: deployProduction })).status).toBe(403);
    const inline = await stack.call('POST', '/api/v1/runs/plan', { token: TOKENS.operator, json: { definition: { name: 'x', steps: [] } } });
    expect(inline.status).toBe(403);
    const admin = await stack.call('POST', '/api/v1/runs/plan', {
      token: TOKENS.admin,
      json: {
        definition: {
          name: 'inline-plan',
          steps: [
            { id: 'a', type: 'wait', duration: '1s' },
            { id: 'b', type: 'wait', duration: '1s', needs: ['a'] },
            { id: 'c', type: 'wait', duration: '1s' },
          ],
        },
      },
    });
    expect(admin.status).toBe(200);
    expect(admin.body.batches).toEqual([['a', 'c'], ['b']]);
  });
});

describe('the approvals inbox and its live feed', () => {
  let feed: SseStream;
  let apiRun: string;
  let signalRun: string;

  beforeAll(async () => {
    feed = await openSse(`${stack.url}/api/v1/approvals/events`, { token: TOKENS.viewer });
  });
  afterAll(() => feed?.close());

  it('streams approval.requested when a gate opens', async () => {
    expect(feed.status).toBe(200);
    const started = await stack.call('POST', '/api/v1/runs', { token: TOKENS.admin, json: deployProduction });
    expect(started.status).toBe(202);
    apiRun = started.body.runId;
    const events = await feed.waitFor(feedHas('approval.requested', apiRun), 20_000);
    const requested = dataOf(events.find((e) => e.event === 'approval.requested' && dataOf(e).runId === apiRun)!);
    expect(requested).toMatchObject({ runId: apiRun, gateId: 'approve', fourEyes: true });
  });

  it('lists the gate for everyone, decidable only by those who may decide it, with the reason otherwise', async () => {
    const itemFor = async (token: string) =>
      eventually(async () => (await stack.call('GET', '/api/v1/approvals', { token })).body.items?.find((i: { runId: string }) => i.runId === apiRun));
    const asApprover = await itemFor(TOKENS.approver);
    expect(asApprover).toMatchObject({
      runId: apiRun,
      runbook: 'deploy-service',
      requestedBy: 'ada',
      gateId: 'approve',
      message: 'Deploy auth',
      requiredRoles: ['approver'],
      fourEyes: true,
      guards: ['deploy'],
      canDecide: true,
      links: { decide: `/api/v1/runs/${apiRun}/approvals/approve` },
    });
    expect(Date.parse(asApprover.expiresAt)).toBeGreaterThan(Date.now());
    expect(await itemFor(TOKENS.admin)).toMatchObject({ canDecide: false, reason: expect.stringMatching(/four-eyes/) });
    expect(await itemFor(TOKENS.viewer)).toMatchObject({ canDecide: false, reason: expect.stringMatching(/approver/) });
    const decidable = await stack.call('GET', '/api/v1/approvals?decidable=true', { token: TOKENS.admin });
    expect(decidable.body.items.some((i: { runId: string }) => i.runId === apiRun)).toBe(false);
    const bad = await stack.call('GET', '/api/v1/approvals?decidable=maybe', { token: TOKENS.admin });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('query.decidable');
  });

  it('streams approval.decided when a gate is decided through the API, and the inbox empties', async () => {
    const ok = await stack.call('POST', `/api/v1/runs/${apiRun}/approvals/approve`, { token: TOKENS.approver, json: { decision: 'approve' } });
    expect(ok.status).toBe(200);
    const events = await feed.waitFor(feedHas('approval.decided', apiRun), 20_000);
    expect(dataOf(events.find((e) => e.event === 'approval.decided' && dataOf(e).runId === apiRun)!)).toMatchObject({ status: 'approved', decidedBy: 'adam', via: 'api' });
    await feed.waitFor(feedHas('run.completed', apiRun), 20_000);
    const inbox = await stack.call('GET', '/api/v1/approvals', { token: TOKENS.approver });
    expect(inbox.body.items.some((i: { runId: string }) => i.runId === apiRun)).toBe(false);
  });

  it('streams a decision sent as a Temporal signal (the Temporal UI path) too', async () => {
    const started = await stack.call('POST', '/api/v1/runs', { token: TOKENS.operator, json: deployProduction });
    signalRun = started.body.runId;
    await feed.waitFor(feedHas('approval.requested', signalRun), 20_000);
    await stack.backends.client.workflow.getHandle(signalRun).signal('approval', { gateId: 'approve', decision: 'reject', approver: 'carol' });
    const events = await feed.waitFor(feedHas('approval.decided', signalRun), 20_000);
    expect(dataOf(events.find((e) => e.event === 'approval.decided' && dataOf(e).runId === signalRun)!)).toMatchObject({
      status: 'rejected',
      decidedBy: 'carol',
      via: 'temporal-signal',
    });
  });

  it('resumes after Last-Event-ID with exactly the events that followed, and starts at the end without one', async () => {
    await feed.waitFor(feedHas('run.failed', signalRun), 20_000); // the rejected run has closed: the feed is quiet now
    const all = feed.events.filter((e) => e.id !== undefined);
    const ids = all.map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    const pivot = all.find((e) => e.event === 'approval.requested' && dataOf(e).runId === signalRun)!;
    const resumed = await openSse(`${stack.url}/api/v1/approvals/events`, { token: TOKENS.viewer, lastEventId: pivot.id! });
    try {
      const expected = all.filter((e) => Number(e.id) > Number(pivot.id)).map((e) => e.id);
      const got = await resumed.waitFor((events) => events.length >= expected.length, 10_000);
      expect(got.slice(0, expected.length).map((e) => e.id)).toEqual(expected);
    } finally {
      resumed.close();
    }
    const fresh = await openSse(`${stack.url}/api/v1/approvals/events`, { token: TOKENS.viewer });
    try {
      await fresh.waitFor(() => fresh.comments() > 0, 5000); // a heartbeat: the stream is open, and sent no history
      expect(fresh.events).toEqual([]);
    } finally {
      fresh.close();
    }
  });
});

describe('GET /api/v1/runs filters', () => {
  it('filters by requester and status, and pages', async () => {
    const mine = await eventually(async () => {
      const res = await stack.call('GET', '/api/v1/runs?requester=ada&runbook=deploy-service', { token: TOKENS.viewer });
      return res.body.items?.length >= 1 ? res.body.items : undefined;
    });
    expect(mine.every((r: { requestedBy: string }) => r.requestedBy === 'ada')).toBe(true);
    const page = await eventually(async () => {
      const res = await stack.call('GET', '/api/v1/runs?runbook=deploy-service&limit=1', { token: TOKENS.viewer });
      return res.body.nextPageToken ? res.body : undefined;
    });
    expect(page.items).toHaveLength(1);
    const next = await stack.call('GET', `/api/v1/runs?runbook=deploy-service&limit=1&pageToken=${page.nextPageToken}`, { token: TOKENS.viewer });
    expect(next.status).toBe(200);
    expect(next.body.items[0].runId).not.toBe(page.items[0].runId);
  });
});

describe('GET /api/v1/sessions', () => {
  it("lists the caller's own sessions, newest first, titled by their first message, with paging", async () => {
    const first = await stack.createSession(TOKENS.viewer);
    await stack.say(TOKENS.viewer, first, 'what runbooks are there?');
    const second = await stack.createSession(TOKENS.viewer);
    const other = await stack.createSession(TOKENS.operator);
    const items = await eventually(async () => {
      const res = await stack.call('GET', '/api/v1/sessions', { token: TOKENS.viewer });
      return res.body.items?.length >= 2 ? res.body.items : undefined;
    });
    expect(items.map((s: { sessionId: string }) => s.sessionId)).toEqual([second, first]);
    expect(items[1]).toMatchObject({ sessionId: first, status: 'active', title: 'what runbooks are there?' });
    expect(items.some((s: { sessionId: string }) => s.sessionId === other)).toBe(false);
    const page = await stack.call('GET', '/api/v1/sessions?limit=1', { token: TOKENS.viewer });
    expect(page.body.items.map((s: { sessionId: string }) => s.sessionId)).toEqual([second]);
    const rest = await stack.call('GET', `/api/v1/sessions?limit=1&pageToken=${page.body.nextPageToken}`, { token: TOKENS.viewer });
    expect(rest.body.items.map((s: { sessionId: string }) => s.sessionId)).toEqual([first]);
    const bad = await stack.call('GET', '/api/v1/sessions?limit=0', { token: TOKENS.viewer });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('query.limit');
  });
});
