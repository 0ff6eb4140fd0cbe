import { openApiDocument } from '../../api/openapi/document';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { createApp } from '../../api/app';
import { createAuthenticator } from '../../api/auth/authenticator';
import { listRoutes, MAX_BODY_BYTES, MAX_WEBHOOK_BODY_BYTES, type RouteInfo } from '../../api/inputRules';
import { createLogger } from '../../api/logger';
import { formatPath, type PathSegment } from '../../domain/validationIssue';
import { catalogueOf } from './support/fixtures';
import { DEPLOY, RESTART, RUN_TESTS, startChatStack, TOKENS, type ChatStack } from '../chat/support/chatStack';

/**
 * Hostile input against EVERY route of the real API (chat, memory and incidents wired, real
 * Temporal/Postgres/Redis): wrong types, huge and deep bodies, NUL and lone surrogates in every
 * body field, query and path parameter, prototype keys, path tricks, lying Content-Length. The
 * route list comes from the app's own router, so a new route is fuzzed without editing this file.
 * Invariants: never a 5xx, always problem+json, 400/413/422 name `errors[].path`, a caller without
 * the role hears 403 before any validation, and the fixture resources answer as before.
 */
jest.setTimeout(170_000);

const WEBHOOK_TOKEN = 'fuzz-webhook-token-0123456789';
const SEED = Number(process.env.FUZZ_SEED ?? 20260417);
let stack: ChatStack;
let routes: RouteInfo[];
const ids: Record<string, string> = {};

interface Answer {
  status: number;
  type: string;
  body: any;
  text: string;
}

interface Figures {
  cases: number;
  fiveXx: string[];
  notProblem: string[];
  unnamed: string[];
  /** Statuses the OpenAPI document does not list for this operation (the contract check). */
  undocumented: string[];
}
const figures = new Map<string, Figures>();
const figuresOf = (route: string): Figures => {
  let f = figures.get(route);
  if (!f) figures.set(route, (f = { cases: 0, fiveXx: [], notProblem: [], unnamed: [], undocumented: [] }));
  return f;
};

const PUBLIC_DOCS = new Set(['/api/v1/openapi.json', '/api/v1/docs', '/api/v1/docs.css']);

/** Statuses the generated OpenAPI document lists for "METHOD /express/:path". */
function documentedStatuses(route: string): Set<number> {
  const [method = '', path = ''] = route.split(' ');
  const op = openApiDocument().paths[path.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\*([A-Za-z0-9_]+)/g, '{$1}')]?.[method.toLowerCase()];
  return new Set(Object.keys(op?.responses ?? {}).map(Number));
}

/** node:http rather than fetch: fetch normalises `..` and `%2e%2e` away before they are sent. */
function send(method: string, path: string, options: { token?: string; body?: string | Buffer; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const url = new URL(stack.url);
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      headers['content-length'] = String(Buffer.byteLength(options.body));
    }
    const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers, agent: false, timeout: 15_000 }, (res) => {
      const type = String(res.headers['content-type'] ?? '');
      if (type.startsWith('text/event-stream')) {
        // A valid stream is not an error answer; nothing to check beyond "it did not fail".
        res.destroy();
        return resolve({ status: res.statusCode ?? 0, type, body: undefined, text: '' });
      }
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let body: unknown = text;
        if (/json/.test(type) && text) {
          try {
            body = JSON.parse(text);
          } catch {
            body = text;
          }
        }
        resolve({ status: res.statusCode ?? 0, type, body, text });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path.slice(0, 120)}: no answer in 15 s`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Records the invariants for one answer; returns it for case-specific assertions. */
function check(route: string, label: string, answer: Answer): Answer {
  const f = figuresOf(route);
  f.cases++;
  const what = `${label} -> ${answer.status} ${answer.text.slice(0, 200)}`;
  if (answer.status >= 500) f.fiveXx.push(what);
  if (!documentedStatuses(route).has(answer.status)) f.undocumented.push(what);
  if (answer.status >= 400) {
    const shaped =
      answer.type.startsWith('application/problem+json') &&
      typeof answer.body === 'object' &&
      answer.body !== null &&
      typeof answer.body.type === 'string' &&
      typeof answer.body.title === 'string' &&
      answer.body.status === answer.status &&
      typeof answer.body.detail === 'string';
    if (!shaped) f.notProblem.push(what);
    if ([400, 413, 422].includes(answer.status)) {
      const errors: unknown = shaped ? answer.body.errors : undefined;
      const named = Array.isArray(errors) && errors.length > 0 && errors.every((e: { path?: unknown }) => typeof e.path === 'string' && e.path.length > 0);
      if (!named) f.unnamed.push(what);
    }
  }
  return answer;
}

const NUL = 'a\u0000b';
const LONE = 'a\uD800b';
/** JSON text with a lone surrogate escape: JSON.stringify would write it too, but this is explicit. */
const LONE_JSON = '"a\\ud800b"';

/** A plausible body per mutating route, so every field can be poisoned one at a time. */
function templateFor(method: string, path: string): Record<string, unknown> | undefined {
  if (method !== 'POST') return undefined;
  const p = path.replace('/api/v1', '');
  const table: Record<string, Record<string, unknown>> = {
    '/runs': { runbook: 'deploy-service', params: { service: 'cart', version: 'v1' }, idempotencyKey: 'fuzz-1' },
    '/runs/:runId/approvals/:gateId': { decision: 'reject', comment: 'no' },
    '/runs/:runId/cancel': {},
    '/runs/plan': { runbook: 'deploy-service', params: { service: 'cart', version: 'v1' } },
    '/sessions': {},
    '/sessions/:id/messages': { content: 'hello' },
    '/nlp/parse': { text: 'show errors for cart', sessionId: '00000000-0000-4000-8000-000000000000' },
    '/memories': { text: 'cart deploys on tuesdays', kind: 'note', scope: { team: 'shop', service: 'cart' } },
    '/incidents': { title: 'cart down', service: 'cart', severity: 'high', description: 'x', labels: { team: 'shop' } },
    '/incidents/:incidentId/notes': { text: 'a note' },
    '/incidents/:incidentId/feedback': { hypothesisId: 'h1', verdict: 'reject', comment: 'x' },
    '/incidents/:incidentId/resolve': { resolution: 'fixed' },
    '/incidents/:incidentId/remediate': { actionId: 'a1' },
    '/webhooks/alertmanager': {
      version: '4',
      groupKey: '{}:{alertname="X"}',
      status: 'firing',
      receiver: 'copilot',
      groupLabels: { alertname: 'X' },
      commonLabels: { alertname: 'X' },
      commonAnnotations: {},
      externalURL: 'http://am',
      truncatedAlerts: 0,
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'X', severity: 'warning' },
          annotations: { summary: 's' },
          startsAt: '2026-01-01T00:00:00Z',
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: 'http://p',
          fingerprint: 'abc',
        },
      ],
    },
  };
  return table[p] ?? {};
}

/** Every leaf (and empty container) of a template with its path. */
function leaves(value: unknown, path: PathSegment[] = []): { path: PathSegment[]; value: unknown }[] {
  if (Array.isArray(value)) return value.length === 0 ? [{ path, value }] : value.flatMap((v, i) => leaves(v, [...path, i]));
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    return entries.length === 0 ? [{ path, value }] : entries.flatMap(([k, v]) => leaves(v, [...path, k]));
  }
  return [{ path, value }];
}

function setAt(root: unknown, path: readonly PathSegment[], value: unknown): unknown {
  if (path.length === 0) return value;
  const copy: any = Array.isArray(root) ? [...root] : { ...(root as object) };
  copy[path[0]!] = setAt(copy[path[0]!], path.slice(1), value);
  return copy;
}

/** A concrete path for a template: fixture ids where they exist, so validation is reached. */
function concrete(route: RouteInfo, override?: { name: string; raw: string }): string {
  const memoryRoute = route.path.startsWith('/api/v1/memories');
  return route.path
    .split('/')
    .map((part) => {
      if (!part.startsWith(':') && !part.startsWith('*')) return part;
      const name = part.slice(1);
      if (override?.name === name) return override.raw;
      if (name === 'id') return memoryRoute ? ids.memoryId! : ids.sessionId!;
      return ids[name] ?? 'x';
    })
    .join('/');
}

function paramNames(route: RouteInfo): string[] {
  return route.path
    .split('/')
    .filter((p) => p.startsWith(':') || p.startsWith('*'))
    .map((p) => p.slice(1));
}

const key = (method: string, route: RouteInfo) => `${method} ${route.path}`;
/** Mutations a viewer may make; every other mutation must be 403 for a viewer before validation. */
const VIEWER_MAY = new Set(['POST /api/v1/sessions', 'POST /api/v1/sessions/:id/messages', 'DELETE /api/v1/sessions/:id', 'POST /api/v1/nlp/parse']);

/** Requests whose answers must not change because of the fuzzing (the resources still work). */
async function probe(): Promise<number[]> {
  const paths = [
    `/api/v1/runs/${ids.runId}`,
    `/api/v1/sessions/${ids.sessionId}`,
    `/api/v1/memories/${ids.memoryId}`,
    `/api/v1/incidents/${ids.incidentId}`,
    '/api/v1/runbooks/deploy-service',
    `/api/v1/sessions/${ids.sessionId}/messages`,
  ];
  return Promise.all(paths.map(async (p) => (await send('GET', p, { token: TOKENS.admin })).status));
}

beforeAll(async () => {
  stack = await startChatStack(
    'fuzz',
    {
      ALERTMANAGER_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
      RATE_LIMIT_PER_SUBJECT: '0',
      RATE_LIMIT_PER_IP: '0',
      RATE_LIMIT_AUTH_FAILURES_PER_IP: '0',
      RATE_LIMIT_WEBHOOK_PER_SOURCE: '0',
    },
    { memory: true, incidents: true },
  );
  // The same createApp the stack serves, only to read its router: the list of routes to fuzz.
  const listing = createApp({
    config: stack.config,
    runs: stack.backends.runs,
    catalogue: catalogueOf([DEPLOY, RUN_TESTS, RESTART]),
    fanout: stack.backends.fanout,
    authenticator: createAuthenticator(stack.config),
    logger: createLogger({ level: 'silent', destination: new Writable({ write: (_c, _e, done) => done() }) }),
    readiness: { temporal: async () => undefined, database: async () => undefined },
  });
  routes = listRoutes(listing);

  const run = await send('POST', '/api/v1/runs', {
    token: TOKENS.operator,
    body: JSON.stringify({ runbook: 'deploy-service', params: { service: 'cart', version: 'v1', environment: 'production' } }),
  });
  expect(run.status).toBe(202);
  ids.runId = run.body.runId;
  ids.gateId = 'approve';
  ids.name = 'deploy-service';
  const session = await send('POST', '/api/v1/sessions', { token: TOKENS.admin });
  expect(session.status).toBe(201);
  ids.sessionId = session.body.sessionId;
  const memory = await send('POST', '/api/v1/memories', { token: TOKENS.admin, body: JSON.stringify({ text: 'cart deploys on tuesdays', kind: 'note' }) });
  expect(memory.status).toBe(201);
  ids.memoryId = memory.body.id;
  const incident = await send('POST', '/api/v1/incidents', { token: TOKENS.admin, body: JSON.stringify({ title: 'cart down', service: 'cart', severity: 'high' }) });
  expect(incident.status).toBe(202);
  ids.incidentId = incident.body.incidentId;
  ids.evidenceId = 'no-such-evidence';
});

afterAll(async () => {
  await stack?.close();
});

it('lists every route from the router, the webhook included', () => {
  const listed = routes.map((r) => `${r.methods.join(',')} ${r.path}`);
  for (const expected of [
    'POST /api/v1/runs',
    'DELETE /api/v1/sessions/:id',
    'POST /api/v1/webhooks/alertmanager',
    'GET /api/v1/incidents/:incidentId/evidence/*evidenceId',
    'DELETE /api/v1/memories/:id',
  ]) {
    expect(listed).toContain(expected);
  }
  // One route per path and method: no fall-through between modules.
  const pairs = routes.flatMap((r) => r.methods.map((m) => `${m} ${r.path}`));
  expect(pairs.length).toBe(new Set(pairs).size);
});

it('survives hostile input on every route: no 5xx, problem+json, named fields, resources intact', async () => {
  const baseline = await probe();
  expect(baseline).toEqual([200, 200, 200, 200, 200, 200]);
  let requests = 0;
  const hit = async (route: string, label: string, method: string, path: string, options: Parameters<typeof send>[2] = {}) => {
    requests++;
    return check(route, label, await send(method, path, options));
  };

  for (const route of routes) {
    if (!route.path.startsWith('/api/v1')) continue;
    // The API's own description (openapi.json, docs): public, static, reads no input at all.
    if (PUBLIC_DOCS.has(route.path)) continue;
    for (const method of route.methods) {
      const name = key(method, route);
      const token = route.path.includes('webhooks') ? WEBHOOK_TOKEN : TOKENS.admin;
      const template = templateFor(method, route.path);
      const url = concrete(route);
      const withBody = method === 'POST' || method === 'DELETE';

      // Authorise before validating: a viewer gets 403, not the validation details, even for garbage.
      if (withBody && !VIEWER_MAY.has(name)) {
        const asViewer = await hit(name, 'viewer with a poisoned body', method, `${url}?service=%00`, { token: TOKENS.viewer, body: JSON.stringify({ bogus: NUL, __x: [[[]]] }) });
        expect({ name, status: asViewer.status }).toEqual({ name, status: 403 });
        expect(asViewer.text).not.toMatch(/NUL|bogus|unknown field/);
      }

      // Query strings: NUL, encoded lone surrogate, prototype keys, NUL in the name.
      for (const [query, field] of [
        ['service=%00', 'query.service'],
        ['q=a%00b', 'query.q'],
        ['__proto__=1', 'query.__proto__'],
        ['constructor=x', 'query.constructor'],
        ['x%00y=1', 'query'],
      ] as const) {
        const answer = await hit(name, `query ${query}`, method, `${url}?${query}`, { token, ...(template ? { body: JSON.stringify(template) } : {}) });
        expect({ name, query, status: answer.status }).toEqual({ name, query, status: 400 });
        expect((answer.body.errors as { path: string }[]).some((e) => e.path.startsWith(field))).toBe(true);
      }

      // Path parameters: NUL, bad escapes, surrogates as UTF-8, dot segments, encoded slashes, overlong ids.
      for (const param of paramNames(route)) {
        for (const raw of ['%00', 'run-a%00b', '%ED%A0%80', '%E0%A4%A', '..', '%2e%2e', 'a%2Fb', '%2F..%2F..%2Fetc%2Fpasswd', 'x'.repeat(4000), '__proto__', 'constructor']) {
          const answer = await hit(name, `path ${param}=${raw.slice(0, 30)}`, method, concrete(route, { name: param, raw }), {
            token,
            ...(template ? { body: JSON.stringify(template) } : {}),
          });
          if (raw.includes('%00') || raw.startsWith('%E')) {
            expect({ name, raw, status: answer.status }).toEqual({ name, raw, status: 400 });
            expect((answer.body.errors as { path: string }[]).map((e) => e.path)).toContain(`path.${param}`);
          }
          expect(answer.status).toBeLessThan(500);
        }
      }

      if (!withBody || !template) continue;
      // Every field of a plausible body, poisoned one at a time: NUL, lone surrogate, prototype keys.
      for (const leaf of leaves(template)) {
        const at = formatPath(leaf.path) || 'body';
        for (const bad of [NUL, LONE]) {
          const answer = await hit(name, `body ${at} ${bad === NUL ? 'NUL' : 'surrogate'}`, method, url, { token, body: JSON.stringify(setAt(template, leaf.path, bad)) });
          expect({ name, at, status: answer.status }).toEqual({ name, at, status: 400 });
          expect((answer.body.errors as { path: string }[]).map((e) => e.path)).toContain(at);
        }
        const inKey = JSON.stringify(setAt(template, [...leaf.path.slice(0, -1), 'k\u0000'], 1));
        const keyAnswer = await hit(name, `body key with NUL under ${at}`, method, url, { token, body: inKey });
        expect(keyAnswer.status).toBe(400);
        const parent = leaf.path.slice(0, -1);
        for (const proto of ['__proto__', 'constructor', 'prototype']) {
          const body = JSON.stringify(setAt(template, [...parent, 'PROTO'], { polluted: true })).replace('"PROTO"', `"${proto}"`);
          const answer = await hit(name, `body ${proto} under ${formatPath(parent) || 'body'}`, method, url, { token, body });
          expect({ name, proto, status: answer.status }).toEqual({ name, proto, status: 400 });
          expect((answer.body.errors as { path: string }[]).map((e) => e.path)).toContain(formatPath([...parent, proto]));
        }
        // Arrays nested 5 000 deep in this field.
        const deep = JSON.stringify(setAt(template, leaf.path, 'DEEP')).replace('"DEEP"', '['.repeat(5000) + ']'.repeat(5000));
        const deepAnswer = await hit(name, `body ${at} nested 5000 deep`, method, url, { token, body: deep });
        expect({ name, at, status: deepAnswer.status, type: deepAnswer.body.type }).toEqual({ name, at, status: 400, type: 'urn:copilot:problem:too-deep' });
      }
      // A raw lone-surrogate escape, as a client that does not go through JSON.stringify sends it.
      const first = leaves(template)[0];
      if (first && first.path.length > 0) {
        const raw = JSON.stringify(setAt(template, first.path, 'LONE')).replace('"LONE"', LONE_JSON);
        expect((await hit(name, 'raw \\ud800 escape', method, url, { token, body: raw })).status).toBe(400);
      }

      // Wrong types, generated: each field replaced by a JSON value of another type.
      const fields = leaves(template).filter((l) => l.path.length > 0);
      await fc.assert(
        fc.asyncProperty(
          fields.length > 0 ? fc.constantFrom(...fields) : fc.constant({ path: [] as PathSegment[], value: {} }),
          fc.jsonValue({ maxDepth: 3 }),
          async (leaf, value) => {
            fc.pre(typeof value !== typeof leaf.value || Array.isArray(value) !== Array.isArray(leaf.value) || value === null);
            const answer = await hit(name, `wrong type at ${formatPath(leaf.path) || 'body'}`, method, url, { token, body: JSON.stringify(setAt(template, leaf.path, value)) });
            return answer.status < 500 && answer.status !== 202 && answer.status !== 201;
          },
        ),
        { numRuns: 12, seed: SEED, endOnFailure: true },
      );

      // Size: just over the route's body limit is a 413 naming the limit.
      const limit = route.path.includes('webhooks') ? MAX_WEBHOOK_BODY_BYTES : MAX_BODY_BYTES;
      const huge = JSON.stringify({ ...template, pad: 'x'.repeat(limit) });
      const hugeAnswer = await hit(name, 'body over the limit', method, url, { token, body: huge });
      expect({ name, status: hugeAnswer.status }).toEqual({ name, status: 413 });
      expect(hugeAnswer.body.detail).toContain(String(limit));
      // Not JSON at all, and JSON that is not an object.
      expect((await hit(name, 'malformed JSON', method, url, { token, body: '{"a":' })).status).toBe(400);
      expect((await hit(name, 'array body', method, url, { token, body: '[1,2]' })).status).toBe(400);
    }
    // After each route's cases, the fixture resources answer exactly as before.
    expect({ route: route.path, probe: await probe() }).toEqual({ route: route.path, probe: baseline });
  }

  const rows = [...figures.entries()];
  const total = rows.reduce((n, [, f]) => n + f.cases, 0);
  const sum = (pick: (f: Figures) => string[]) => rows.flatMap(([r, f]) => pick(f).map((w) => `${r}: ${w}`));
  console.log(
    [
      `fuzz (seed ${SEED}): ${rows.length} method+route pairs, ${total} checked answers, ${requests} requests`,
      ...rows.map(([r, f]) => `  ${r}: ${f.cases} cases`),
      `5xx: ${sum((f) => f.fiveXx).length}, not problem+json: ${sum((f) => f.notProblem).length}, 400/413/422 without errors[].path: ${sum((f) => f.unnamed).length}, statuses missing from the OpenAPI document: ${sum((f) => f.undocumented).length}`,
    ].join('\n'),
  );
  expect(sum((f) => f.fiveXx)).toEqual([]);
  expect(sum((f) => f.notProblem)).toEqual([]);
  expect(sum((f) => f.unnamed)).toEqual([]);
  expect(sum((f) => f.undocumented)).toEqual([]);
});

it('answers lying or invalid Content-Length with problem+json on the raw socket', async () => {
  const { hostname, port } = new URL(stack.url);
  const raw = (payload: string, halfClose: boolean) =>
    new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), hostname, () => {
        socket.write(payload);
        if (halfClose) socket.end();
      });
      let out = '';
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => (out += d));
      socket.on('end', () => resolve(out));
      socket.on('close', () => resolve(out));
      socket.on('error', reject);
      socket.setTimeout(4000, () => {
        socket.destroy();
        resolve(out);
      });
    });
  const head = (path: string, extra: string) => `POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKENS.admin}\r\nContent-Type: application/json\r\n${extra}\r\n`;
  let answers = 0;
  for (const route of routes.filter((r) => r.methods.includes('POST') && r.path.startsWith('/api/v1'))) {
    const path = concrete(route);
    const body = JSON.stringify(templateFor('POST', route.path));
    const cases: [string, string, boolean][] = [
      ['Content-Length shorter than the body', head(path, 'Content-Length: 3\r\n') + body, false],
      ['Content-Length longer than the body, then half-close', head(path, `Content-Length: ${body.length + 500}\r\n`) + body, true],
      ['Content-Length not a number', head(path, 'Content-Length: abc\r\n') + body, false],
      ['Content-Length and Transfer-Encoding together', head(path, `Content-Length: ${body.length}\r\nTransfer-Encoding: chunked\r\n`) + body, false],
      ['two different Content-Length headers', head(path, `Content-Length: ${body.length}\r\nContent-Length: 2\r\n`) + body, false],
    ];
    for (const [label, payload, halfClose] of cases) {
      const out = await raw(payload, halfClose);
      // Every answer on the socket (a lie can split one request into two) is checked.
      for (const response of out.split(/(?=HTTP\/1\.1 \d{3} )/).filter((r) => r.startsWith('HTTP/1.1'))) {
        answers++;
        const status = Number(response.slice(9, 12));
        const [headers = '', text = ''] = response.split('\r\n\r\n');
        const type = /content-type: ([^\r\n]+)/i.exec(headers)?.[1] ?? '';
        if (status < 400) continue;
        const problem = JSON.parse(text) as { status?: unknown; type?: unknown; detail?: unknown };
        expect({ label, status, type }).toEqual({ label, status, type: expect.stringMatching(/^application\/problem\+json/) });
        expect(problem).toMatchObject({ status, type: expect.stringMatching(/^urn:copilot:problem:/), detail: expect.any(String) });
        expect(status).toBeLessThan(500);
      }
    }
  }
  console.log(`fuzz raw sockets: ${answers} answers to lying/invalid Content-Length`);
  expect(answers).toBeGreaterThan(0);
  // The server still serves ordinary requests afterwards.
  expect((await send('GET', '/health')).status).toBe(200);
});

it('DELETE /sessions/:id has one handler: ends the chat and forgets memory, 404 for an unknown id', async () => {
  const unknown = await send('DELETE', '/api/v1/sessions/not-a-uuid', { token: TOKENS.viewer });
  expect({ status: unknown.status, type: unknown.body.type }).toEqual({ status: 404, type: 'urn:copilot:problem:session-not-found' });
  const created = await send('POST', '/api/v1/sessions', { token: TOKENS.viewer });
  expect(created.status).toBe(201);
  const id = created.body.sessionId as string;
  expect((await send('DELETE', `/api/v1/sessions/${id}`, { token: TOKENS.operator })).status).toBe(404);
  expect((await send('DELETE', `/api/v1/sessions/${id}?x=%00`, { token: TOKENS.viewer })).status).toBe(400);
  expect((await send('DELETE', `/api/v1/sessions/${id}`, { token: TOKENS.viewer })).status).toBe(204);
  const after = await send('POST', `/api/v1/sessions/${id}/messages`, { token: TOKENS.viewer, body: JSON.stringify({ content: 'hello?' }) });
  expect(after.status).toBe(409);
});
