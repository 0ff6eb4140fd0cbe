import { validate } from '@readme/openapi-parser';
import { listRoutes } from '../../api/inputRules';
import { openApiDocument, type OperationObject } from '../../api/openapi/document';
import { REFERENCE_CSP } from '../../api/openapi/referencePage';
import { AUTH_TOKENS, catalogueOf, deployService, TOKENS } from './support/fixtures';
import { openBackends, startApi, type Backends, type TestApi } from './support/testApi';

/**
 * The OpenAPI 3.1 document is generated from the zod schemas (api/openapi/operations.ts), checked
 * by an independent validator, and held to the router: every route the Express app really has is
 * documented with its methods, nothing documented is missing from the app, and the statuses a route
 * answers to plain mistakes (no token, no role, bad input, unknown id) are listed. The fuzz suite
 * (test/api/fuzz.test.ts) holds ~900 more answers to the same document.
 */
let backends: Backends;
let api: TestApi;

const toExpress = (path: string) => path.replace(/\{([A-Za-z0-9_]+)\}/g, (_m, name: string) => (name === 'evidenceId' ? `*${name}` : `:${name}`));

beforeAll(async () => {
  backends = await openBackends('openapi');
  api = await startApi(backends, { catalogue: catalogueOf([deployService]), env: { AUTH_TOKENS } });
});
afterAll(async () => {
  await api?.close();
  await backends?.close();
});

test('the document is valid OpenAPI 3.1 for an independent validator, and served at /api/v1/openapi.json without a token', async () => {
  const doc = openApiDocument();
  const result = await validate(structuredClone(doc) as never);
  expect({ valid: result.valid, errors: result.valid ? [] : result.errors }).toEqual({ valid: true, errors: [] });
  const served = await api.call('GET', '/api/v1/openapi.json');
  expect(served.status).toBe(200);
  expect(served.body).toEqual(JSON.parse(JSON.stringify(doc)));
});

test('a broken document is refused by the same validator (the check can fail)', async () => {
  const broken = structuredClone(openApiDocument());
  // A path parameter must be required and `in` one of path/query/header/cookie.
  broken.paths['/api/v1/runs/{runId}']!.get!.parameters![0] = { ...broken.paths['/api/v1/runs/{runId}']!.get!.parameters![0]!, in: 'body' as never, required: false };
  const result = await validate(broken as never);
  expect(result.valid).toBe(false);
});

test('every route of the Express app is documented, and every documented operation exists', () => {
  const doc = openApiDocument();
  const actual = new Set(listRoutes(api.app).flatMap((r) => r.methods.map((m) => `${m} ${r.path}`)));
  const documented = new Set(Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${toExpress(path)}`)));
  expect([...actual].filter((r) => !documented.has(r)).sort()).toEqual([]);
  expect([...documented].filter((r) => !actual.has(r)).sort()).toEqual([]);
});

test('request schemas come from the zod schemas the handlers parse', () => {
  const start = openApiDocument().paths['/api/v1/runs']!.post!;
  const body = start.requestBody!.content['application/json'].schema as { properties: Record<string, unknown>; additionalProperties?: unknown };
  expect(Object.keys(body.properties).sort()).toEqual(['definition', 'idempotencyKey', 'params', 'runbook']);
  expect(body.additionalProperties).toBe(false);
  const gate = openApiDocument().paths['/api/v1/runs/{runId}/approvals/{gateId}']!.post!;
  expect(gate.parameters!.map((p) => `${p.in}:${p.name}`)).toEqual(['path:runId', 'path:gateId']);
  expect(gate['x-required-roles']).toEqual(['approver', 'admin']);
});

test('what each route answers to plain mistakes is in its documented responses', async () => {
  const doc = openApiDocument();
  const missing: string[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries<OperationObject>(ops)) {
      if (!op['x-required-roles']) continue;
      const url = path.replace(/\{([A-Za-z0-9_]+)\}/g, (_m, name: string) =>
        name === 'runId'
          ? 'run-doesnotexist'
          : name === 'incidentId'
            ? 'inc-20260101-0000-abcd'
            : name === 'gateId'
              ? 'approve'
              : name === 'id'
                ? '00000000-0000-4000-8000-000000000000'
                : 'nope',
      );
      const M = method.toUpperCase();
      const json = M === 'POST' ? { bogus: 1 } : undefined;
      const cases: [string, Parameters<TestApi['call']>[2]][] = [
        ['no token', {}],
        ['no role', { token: TOKENS.noRoles, ...(json ? { json } : {}) }],
        ['admin, bad input', { token: TOKENS.admin, ...(json ? { json } : {}) }],
        ['admin, junk query', { token: TOKENS.admin, ...(json ? { json } : {}) }],
      ];
      for (const [label, options] of cases) {
        // A stream without path parameters has no "bad input" to send: the valid request stays open (covered in surfaces.test.ts).
        const openStream = label === 'admin, bad input' && !path.includes('{') && (op.parameters ?? []).some((p) => 'name' in p && p.name === 'Last-Event-ID');
        if (openStream) continue;
        const target = label === 'admin, junk query' ? `${url}?bogus=1` : url;
        const res = await api.call(M, target, options);
        if (!(String(res.status) in op.responses)) missing.push(`${M} ${path} (${label}): ${res.status}`);
      }
    }
  }
  expect(missing).toEqual([]);
});

test('the reference page is rendered from the document under a strict CSP, with no script', async () => {
  const res = await api.call('GET', '/api/v1/docs');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-security-policy')).toBe(REFERENCE_CSP);
  expect(res.text).not.toMatch(/<script/i);
  expect(res.text).toContain('/api/v1/runs/{runId}/approvals/{gateId}');
  expect(res.text).toContain('Approve or reject a gate');
  expect((await api.call('GET', '/api/v1/docs.css')).headers.get('content-type')).toMatch(/^text\/css/);
});
