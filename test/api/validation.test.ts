import type { RunOperations } from '../../api/deps';
import { AUTH_TOKENS, catalogueOf, deployService, quickWait, TOKENS } from './support/fixtures';
import { openBackends, startApi, type ApiResponse, type Backends, type TestApi } from './support/testApi';

/** Every kind of bad input gets a 4xx problem+json naming what was wrong; never a 5xx. */
const catalogue = catalogueOf([deployService, quickWait]);
let backends: Backends;
let api: TestApi;

beforeAll(async () => {
  backends = await openBackends('validation');
  api = await startApi(backends, { catalogue, env: { AUTH_TOKENS } });
});

afterAll(async () => {
  await api?.close();
  await backends?.close();
});

function expectProblem(res: ApiResponse<any>, status: number, fields: string[] = []): void {
  expect({ status: res.status, body: res.body }).toMatchObject({ status, body: { status } });
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.body).toEqual(expect.objectContaining({ type: expect.any(String), title: expect.any(String), detail: expect.any(String) }));
  const paths = ((res.body.errors ?? []) as { path: string }[]).map((e) => e.path);
  for (const field of fields) expect(paths).toContain(field);
}

const start = (json: unknown, token: string = TOKENS.admin) => api.call('POST', '/api/v1/runs', { token, json });

describe('POST /api/v1/runs body', () => {
  it.each([
    ['an unknown field', { runbook: 'deploy-service', params: { version: 'v1' }, foo: 1 }, ['foo']],
    ['neither runbook nor definition', { params: {} }, ['runbook']],
    ['both runbook and definition', { runbook: 'deploy-service', definition: quickWait }, ['definition']],
    ['a malformed runbook name', { runbook: 'Deploy Service' }, ['runbook']],
    ['params that are not an object', { runbook: 'deploy-service', params: ['v1'] }, ['params']],
    ['a definition that is not an object', { definition: 'steps: []' }, ['definition']],
    ['an empty idempotencyKey', { runbook: 'quick-wait', idempotencyKey: '' }, ['idempotencyKey']],
    ['an idempotencyKey with spaces', { runbook: 'quick-wait', idempotencyKey: 'a b' }, ['idempotencyKey']],
    ['an idempotencyKey of 201 characters', { runbook: 'quick-wait', idempotencyKey: 'k'.repeat(201) }, ['idempotencyKey']],
  ])('answers 400 for %s', async (_what, body, fields) => {
    expectProblem(await start(body), 400, fields);
  });

  it('answers 400 for a JSON body that is not an object', async () => {
    expectProblem(await start([1, 2]), 400);
  });

  it('answers 404 for a runbook the catalogue does not have', async () => {
    const res = await start({ runbook: 'no-such-runbook' }, TOKENS.operator);
    expectProblem(res, 404);
    expect(res.body.detail).toMatch(/no-such-runbook/);
  });

  it('answers 422 with params.<name> paths for bad params', async () => {
    const missing = await start({ runbook: 'deploy-service' }, TOKENS.operator);
    expectProblem(missing, 422, ['params.version']);
    expect(missing.body.errors).toContainEqual({ path: 'params.version', message: 'is required' });

    const wrong = await start({ runbook: 'deploy-service', params: { version: '1.0', replicas: 99, colour: 'red' } }, TOKENS.operator);
    expectProblem(wrong, 422, ['params.version', 'params.replicas', 'params.colour']);
  });

  it('answers 422 with definition.* paths for an invalid inline definition', async () => {
    const res = await start({
      definition: {
        name: 'bad-inline',
        steps: [
          { id: 'one', type: 'wait', duration: 'soon' },
          { id: 'two', type: 'wait', duration: '1s', needs: ['missing-step'] },
        ],
      },
    });
    expectProblem(res, 422);
    const paths = (res.body.errors as { path: string }[]).map((e) => e.path);
    expect(paths.length).toBeGreaterThan(0);
    for (const path of paths) expect(path).toMatch(/^definition[.[]/);
    expect(paths.some((p) => p.includes('steps'))).toBe(true);
  });

  it('answers 400 for malformed JSON', async () => {
    const res = await api.call('POST', '/api/v1/runs', { token: TOKENS.admin, raw: '{"runbook": ', headers: { 'content-type': 'application/json' } });
    expectProblem(res, 400);
    expect(res.body.detail).toMatch(/JSON/);
  });

  it('answers 413 for a body over 1 MB', async () => {
    const raw = JSON.stringify({ runbook: 'quick-wait', params: { blob: 'x'.repeat(1_100_000) } });
    expectProblem(await api.call('POST', '/api/v1/runs', { token: TOKENS.admin, raw, headers: { 'content-type': 'application/json' } }), 413);
  });

  it('answers 415 for a body that is not JSON', async () => {
    const res = await api.call('POST', '/api/v1/runs', { token: TOKENS.admin, raw: 'runbook=quick-wait', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expectProblem(res, 415);
    expectProblem(await api.call('POST', '/api/v1/runs', { token: TOKENS.admin, raw: '{}', headers: { 'content-type': 'text/plain' } }), 415);
  });
});

describe('path, query and header parameters', () => {
  it('answers 400 naming runId for a malformed run id, 404 for an unknown one', async () => {
    expectProblem(await api.call('GET', '/api/v1/runs/NOT_A_RUN', { token: TOKENS.viewer }), 400, ['runId']);
    expectProblem(await api.call('GET', `/api/v1/runs/run-${'a'.repeat(81)}`, { token: TOKENS.viewer }), 400, ['runId']);
    expectProblem(await api.call('GET', '/api/v1/runs/run-does-not-exist', { token: TOKENS.viewer }), 404);
  });

  it.each([
    ['status=bogus', ['status']],
    ['limit=0', ['limit']],
    ['limit=101', ['limit']],
    ['limit=ten', ['limit']],
    ['runbook=Not_A_Name', ['runbook']],
    ['pageToken=%21%21', ['pageToken']],
    ['pageToken=bm90LWpzb24', ['pageToken']],
    ['sort=asc', ['sort']],
    ['status=running&status=failed', ['status']],
  ])('GET /runs?%s answers 400', async (query, fields) => {
    expectProblem(await api.call('GET', `/api/v1/runs?${query}`, { token: TOKENS.viewer }), 400, fields);
  });

  it('answers 400 for a bad resume point, 404 (not a stream) for an unknown run', async () => {
    const base = '/api/v1/runs/run-does-not-exist/events';
    expectProblem(await api.call('GET', `${base}?lastEventId=-1`, { token: TOKENS.viewer }), 400, ['lastEventId']);
    expectProblem(await api.call('GET', `${base}?lastEventId=1.5`, { token: TOKENS.viewer }), 400, ['lastEventId']);
    expectProblem(await api.call('GET', base, { token: TOKENS.viewer, headers: { 'last-event-id': 'abc' } }), 400, ['Last-Event-ID']);
    const unknown = await api.call('GET', base, { token: TOKENS.viewer });
    expectProblem(unknown, 404);
    expect(unknown.headers.get('content-type')).not.toMatch(/event-stream/);
  });

  it('validates approval decisions', async () => {
    const url = '/api/v1/runs/run-does-not-exist/approvals/gate';
    const decide = (json: unknown) => api.call('POST', url, { token: TOKENS.approver, json });
    expectProblem(await decide({ decision: 'maybe' }), 400, ['decision']);
    expectProblem(await decide({}), 400, ['decision']);
    expectProblem(await decide({ decision: 'approve', comment: 'x'.repeat(2001) }), 400, ['comment']);
    expectProblem(await decide({ decision: 'approve', approver: 'someone-else' }), 400, ['approver']);
    expectProblem(await api.call('POST', '/api/v1/runs/run-x/approvals/Bad Gate', { token: TOKENS.approver, json: { decision: 'approve' } }), 400, ['gateId']);
    expectProblem(await decide({ decision: 'approve' }), 404);
  });

  it('validates cancellation', async () => {
    expectProblem(await api.call('POST', '/api/v1/runs/run-does-not-exist/cancel', { token: TOKENS.operator }), 404);
    expectProblem(await api.call('POST', '/api/v1/runs/run-does-not-exist/cancel', { token: TOKENS.operator, json: { reason: 'x' } }), 400, ['reason']);
  });

  it('serves the catalogue and 404s unknown runbooks', async () => {
    const one = await api.call('GET', '/api/v1/runbooks/deploy-service', { token: TOKENS.viewer });
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ name: 'deploy-service', params: { version: { type: 'string', required: true } } });
    expectProblem(await api.call('GET', '/api/v1/runbooks/nope', { token: TOKENS.viewer }), 404);
    expectProblem(await api.call('GET', '/api/v1/runbooks/Bad_Name', { token: TOKENS.viewer }), 400, ['name']);
  });
});

describe('routing, request ids and failures', () => {
  it('answers 404 problems for unknown routes', async () => {
    expectProblem(await api.call('GET', '/nope'), 404);
    expectProblem(await api.call('GET', '/api/v1/nope', { token: TOKENS.viewer }), 404);
    expectProblem(await api.call('DELETE', '/api/v1/runs/run-abc', { token: TOKENS.admin }), 404);
  });

  it('echoes a caller request id into the header and the problem instance, or makes one', async () => {
    const given = await api.call('GET', '/api/v1/nope', { token: TOKENS.viewer, headers: { 'x-request-id': 'req-123' } });
    expect(given.headers.get('x-request-id')).toBe('req-123');
    expect(given.body.instance).toContain('req-123');
    expect(api.logs.join('')).toContain('"reqId":"req-123"');

    const made = await api.call('GET', '/api/v1/nope', { token: TOKENS.viewer, headers: { 'x-request-id': 'bad id\twith spaces' } });
    const id = made.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(made.body.instance).toContain(id);
  });

  it('answers 503 from /ready when a dependency is down or hangs', async () => {
    const failing = await startApi(backends, {
      catalogue,
      env: { AUTH_TOKENS },
      readiness: { temporal: async () => undefined, database: () => new Promise(() => undefined) },
    });
    try {
      const started = Date.now();
      const res = await failing.call('GET', '/ready');
      expect(res.status).toBe(503);
      expect(res.body).toEqual({
        status: 'unavailable',
        checks: { temporal: { status: 'up' }, database: { status: 'down', error: expect.stringMatching(/2000 ms/) } },
      });
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await failing.close();
    }
  });

  it('answers an unexpected error with a generic 500 and logs it', async () => {
    const broken = { listRuns: async () => Promise.reject(new Error('connect ECONNREFUSED password=hunter2')) } as unknown as RunOperations;
    const failing = await startApi(backends, { catalogue, env: { AUTH_TOKENS }, runs: broken });
    try {
      const res = await failing.call('GET', '/api/v1/runs', { token: TOKENS.viewer });
      expectProblem(res, 500);
      expect(res.text).not.toContain('hunter2');
      expect(res.text).not.toContain('ECONNREFUSED');
      expect(failing.logs.join('')).toContain('ECONNREFUSED');
    } finally {
      await failing.close();
    }
  });
});
