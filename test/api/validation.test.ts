import { z } from 'zod';
import type { RunOperations } from '../../api/deps';
import { zodIssuesToRaw } from '../../domain/zodIssues';
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
    expectProblem(await api.call('GET', '/api/v1/runs/NOT_A_RUN', { token: TOKENS.viewer }), 400, ['path.runId']);
    expectProblem(await api.call('GET', `/api/v1/runs/run-${'a'.repeat(81)}`, { token: TOKENS.viewer }), 400, ['path.runId']);
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
    expectProblem(
      await api.call('GET', `/api/v1/runs?${query}`, { token: TOKENS.viewer }),
      400,
      fields.map((f) => `query.${f}`),
    );
  });

  it('answers 400 for a bad resume point, 404 (not a stream) for an unknown run', async () => {
    const base = '/api/v1/runs/run-does-not-exist/events';
    expectProblem(await api.call('GET', `${base}?lastEventId=-1`, { token: TOKENS.viewer }), 400, ['query.lastEventId']);
    expectProblem(await api.call('GET', `${base}?lastEventId=1.5`, { token: TOKENS.viewer }), 400, ['query.lastEventId']);
    expectProblem(await api.call('GET', base, { token: TOKENS.viewer, headers: { 'last-event-id': 'abc' } }), 400, ['headers.Last-Event-ID']);
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
    expectProblem(await api.call('POST', '/api/v1/runs/run-x/approvals/Bad Gate', { token: TOKENS.approver, json: { decision: 'approve' } }), 400, ['path.gateId']);
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
    expectProblem(await api.call('GET', '/api/v1/runbooks/Bad_Name', { token: TOKENS.viewer }), 400, ['path.name']);
  });
});

describe('routing, request ids and failures', () => {
  it('answers 404 problems for unknown routes, 405 with Allow for a known path', async () => {
    expectProblem(await api.call('GET', '/nope'), 404);
    expectProblem(await api.call('GET', '/api/v1/nope', { token: TOKENS.viewer }), 404);
    const wrongMethod = await api.call('DELETE', '/api/v1/runs/run-abc', { token: TOKENS.admin });
    expectProblem(wrongMethod, 405);
    expect(wrongMethod.headers.get('allow')).toBe('GET, HEAD');
  });

  it('echoes a caller request id into the header and the problem instance, or makes one', async () => {
    const given = await api.call('GET', '/api/v1/nope', { token: TOKENS.viewer, headers: { 'x-request-id': 'req-123' } });
    expect(given.headers.get('x-request-id')).toBe('req-123');
    expect(given.body.instance).toContain('req-123');
    expect(api.logs.join('')).toContain('"reqId":"req-123"');
    // One request line (pino-http): chosen fields only, the path without its query, never headers.
    await api.call('GET', '/api/v1/runbooks?secret=s3cr3t-query', { token: TOKENS.viewer, headers: { 'x-request-id': 'req-456', cookie: 'session=abc' } });
    const line = api.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.reqId === 'req-456' && l.msg === 'request');
    expect(line).toMatchObject({ method: 'GET', path: '/api/v1/runbooks', status: 400, sub: 'vera', level: 30 });
    expect(typeof line!.ms).toBe('number');
    expect(JSON.stringify(line)).not.toMatch(/s3cr3t-query|session=abc|viewer-token/);

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

describe('the boundary rule (issue 17)', () => {
  const raw = (path: string, body: string, token: string = TOKENS.admin) => api.call('POST', path, { token, raw: body, headers: { 'content-type': 'application/json' } });

  it('answers 403 before any validation detail to a caller without the role', async () => {
    const viewer = await start({ runbook: 'Not A Name', bogus: 'a\u0000b' }, TOKENS.viewer);
    expectProblem(viewer, 403);
    expect(viewer.body.errors).toBeUndefined();
    const inline = await start({ definition: { steps: 'nonsense' }, extra: 1 }, TOKENS.operator);
    expectProblem(inline, 403);
    expect(inline.body.detail).toMatch(/admin/);
    expectProblem(await api.call('POST', '/api/v1/runs/run-x/cancel?service=%00', { token: TOKENS.viewer }), 403);
    expectProblem(await api.call('POST', '/api/v1/runs', { token: TOKENS.viewer, raw: 'x', headers: { 'content-type': 'text/plain' } }), 403);
  });

  it('refuses NUL and lone surrogates in body, query and path, naming the field', async () => {
    const nul = await start({ runbook: 'deploy-service', params: { version: 'v1\u0000' } }, TOKENS.operator);
    expectProblem(nul, 400, ['params.version']);
    expect(nul.body.errors).toContainEqual({ path: 'params.version', message: 'must not contain NUL (U+0000)' });
    expectProblem(await raw('/api/v1/runs', '{"runbook":"deploy-service","params":{"version":"\\udc00"}}'), 400, ['params.version']);
    expectProblem(await api.call('GET', '/api/v1/runs?runbook=%00', { token: TOKENS.viewer }), 400, ['query.runbook']);
    expectProblem(await api.call('GET', '/api/v1/runs/run-a%00b', { token: TOKENS.viewer }), 400, ['path.runId']);
    expectProblem(await api.call('GET', '/api/v1/runs/run-%E0%A4%A', { token: TOKENS.viewer }), 400, ['path.runId']);
  });

  it('refuses prototype keys where any other unknown name is refused too', async () => {
    expectProblem(await raw('/api/v1/runs', '{"runbook":"deploy-service","params":{"version":"v1","__proto__":{"x":1}}}', TOKENS.operator), 400, ['params.__proto__']);
    expectProblem(await raw('/api/v1/runs', '{"runbook":"deploy-service","constructor":1}', TOKENS.operator), 400, ['constructor']);
    expectProblem(await start({ runbook: 'deploy-service', params: { version: 'v1', other: 1 } }, TOKENS.operator), 422, ['params.other']);
  });

  it('bounds depth before parsing and params size before starting', async () => {
    const deep = await raw('/api/v1/runs/run-x/approvals/gate', `{"decision":${'['.repeat(5000)}${']'.repeat(5000)}}`, TOKENS.approver);
    expectProblem(deep, 400);
    expect(deep.body.type).toBe('urn:copilot:problem:too-deep');
    expect(deep.body.errors[0].path).toMatch(/^decision(\[0\])+$/);
    const big = await start({ runbook: 'deploy-service', params: { version: 'v1', blob: 'x'.repeat(300_000) } }, TOKENS.operator);
    expectProblem(big, 413, ['params']);
    expect(big.body.detail).toContain('65536');
    const huge = await raw('/api/v1/runs', JSON.stringify({ runbook: 'x', pad: 'y'.repeat(1_100_000) }), TOKENS.operator);
    expectProblem(huge, 413, ['body']);
    expect(huge.body.detail).toContain('1048576');
  });

  it('describes a deeply nested received value without serialising it', () => {
    let deep: unknown = [];
    for (let i = 0; i < 20_000; i++) deep = [deep];
    const schema = z.strictObject({ decision: z.enum(['approve', 'reject']) });
    const parsed = schema.safeParse({ decision: deep });
    expect(parsed.success).toBe(false);
    const issues = zodIssuesToRaw(parsed.error!, { decision: deep }, schema);
    expect(issues).toEqual([{ path: ['decision'], message: 'must be one of approve, reject, got array' }]);
  });
});
