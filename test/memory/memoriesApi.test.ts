import { loadConfig } from '../../config/env';
import { openMemory, type MemoryRuntime } from '../../memory/openMemory';
import { FakeQdrant } from './support/fakeQdrant';
import { startMemoryApi, type MemoryApi } from './support/memoryApi';
import { openMemoryDb, type MemoryDb } from './support/memoryHarness';

/**
 * The memory API on the real app, wired by openMemory from configuration: Redis short-term (real
 * server), Postgres medium-term (real server), Qdrant long-term (the FAKE server). Runs are not
 * involved, so the run port is a stub that is never called.
 */
const TOKENS = { viewer: 'mem-viewer-1', operator: 'mem-operator-1', operator2: 'mem-operator-2', admin: 'mem-admin-1' };
const AUTH_TOKENS = `${TOKENS.viewer}=vera:viewer,${TOKENS.operator}=olga:operator,${TOKENS.operator2}=otto:operator,${TOKENS.admin}=ada:admin`;

type Started = MemoryApi;

const start = (memory: MemoryRuntime | undefined): Promise<Started> => startMemoryApi(loadConfig({ NODE_ENV: 'test', AUTH_TOKENS }), memory);

describe('memories API (Redis + Postgres + fake Qdrant)', () => {
  let t: MemoryDb;
  let fake: FakeQdrant;
  let memory: MemoryRuntime;
  let api: Started;
  const call = async (method: string, path: string, token?: string, json?: unknown) => {
    const res = await fetch(`${api.http.url}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(json !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
    });
    const text = await res.text();
    return { status: res.status, type: res.headers.get('content-type') ?? '', body: text ? JSON.parse(text) : undefined };
  };

  beforeAll(async () => {
    t = await openMemoryDb('postgres');
    fake = await FakeQdrant.start();
    const config = loadConfig({ NODE_ENV: 'test', REDIS_URL: process.env.TEST_REDIS_URL, QDRANT_URL: fake.url, QDRANT_COLLECTION: 'api_test' });
    memory = await openMemory(config, t.db);
    expect(memory.service.backends).toEqual({ shortTerm: 'redis', vectors: 'qdrant', embedder: 'hashed-w12c3-384' });
    api = await start(memory);
  });
  afterAll(async () => {
    await api.http.close(1000);
    await memory.close();
    await fake.close();
    await t.dispose();
  });

  it('operators add (redacted), viewers search and read', async () => {
    const added = await call('POST', '/api/v1/memories', TOKENS.operator, {
      text: 'INC-201 checkout-svc 502s from pool exhaustion; contact sam@example.com',
      kind: 'incident',
      scope: { service: 'checkout-svc', team: 'payments' },
    });
    expect(added.status).toBe(201);
    expect(added.body.id).toMatch(/^[0-9a-f-]{36}$/);
    await call('POST', '/api/v1/memories', TOKENS.operator, { text: 'payments-api disk full, fixed by logrotate', kind: 'incident' });

    const search = await call('GET', '/api/v1/memories/search?q=checkout-svc%20502%20pool&limit=5', TOKENS.viewer);
    expect(search.status).toBe(200);
    expect(search.body.items[0]).toEqual({
      id: added.body.id,
      text: 'INC-201 checkout-svc 502s from pool exhaustion; contact <EMAIL_1>',
      kind: 'incident',
      score: expect.any(Number),
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(search.body.items[0].score).toBeGreaterThan(search.body.items[1].score);

    const filtered = await call('GET', '/api/v1/memories/search?q=disk&service=checkout-svc', TOKENS.viewer);
    expect(filtered.body.items.map((i: any) => i.id)).toEqual([added.body.id]);
    const byKind = await call('GET', '/api/v1/memories/search?q=disk&kind=preference', TOKENS.viewer);
    expect(byKind.body.items).toEqual([]);

    const one = await call('GET', `/api/v1/memories/${added.body.id}`, TOKENS.viewer);
    expect(one.body).toMatchObject({ id: added.body.id, kind: 'incident', createdBy: 'olga', scope: { service: 'checkout-svc', team: 'payments' } });
    expect(JSON.stringify(fake.collections.get('api_test')!.points.get(added.body.id)!.payload)).not.toContain('sam@example.com');
    expect(api.logs.join('')).not.toContain('sam@example.com');
  });

  it("enforces roles: viewers cannot add, operators delete only their own, admins delete anyone's", async () => {
    expect((await call('POST', '/api/v1/memories', TOKENS.viewer, { text: 'x', kind: 'note' })).status).toBe(403);
    const { body } = await call('POST', '/api/v1/memories', TOKENS.operator, { text: 'note by olga about cart-svc', kind: 'note' });
    const otto = await call('DELETE', `/api/v1/memories/${body.id}`, TOKENS.operator2);
    expect(otto.status).toBe(403);
    expect(otto.body.detail).toMatch(/admin/);
    expect((await call('DELETE', `/api/v1/memories/${body.id}`, TOKENS.viewer)).status).toBe(403);
    expect((await call('DELETE', `/api/v1/memories/${body.id}`, TOKENS.admin)).status).toBe(204);
    // Gone from every tier: canonical record and vector.
    expect((await call('GET', `/api/v1/memories/${body.id}`, TOKENS.viewer)).status).toBe(404);
    expect(fake.collections.get('api_test')!.points.has(body.id)).toBe(false);
    const own = await call('POST', '/api/v1/memories', TOKENS.operator, { text: 'another note', kind: 'note' });
    expect((await call('DELETE', `/api/v1/memories/${own.body.id}`, TOKENS.operator)).status).toBe(204);
    expect((await call('DELETE', `/api/v1/memories/${own.body.id}`, TOKENS.operator)).status).toBe(404);
  });

  it('answers bad input with a problem naming the field', async () => {
    const bad = await call('POST', '/api/v1/memories', TOKENS.operator, { text: '', kind: 'gossip', extra: 1 });
    expect(bad.status).toBe(400);
    expect(bad.type).toMatch(/application\/problem\+json/);
    expect(bad.body.errors.map((e: any) => e.path).sort()).toEqual(['extra', 'kind', 'text']);
    const noQ = await call('GET', '/api/v1/memories/search?limit=500', TOKENS.viewer);
    expect(noQ.status).toBe(400);
    expect(noQ.body.errors.map((e: any) => e.path).sort()).toEqual(['query.limit', 'query.q']);
    expect((await call('GET', '/api/v1/memories/not-a-uuid', TOKENS.viewer)).body.errors[0].path).toBe('path.id');
    expect((await call('GET', '/api/v1/memories/search?q=x')).status).toBe(401);
  });

  it("DELETE /sessions/:id forgets the session's turns in every tier", async () => {
    await memory.service.recordTurn('api-s1', { role: 'user', content: 'remember that cart-svc deploys only on Tuesdays' }, 'olga');
    const before = await memory.service.retrieveContext('api-s1', 'cart-svc deploy day');
    expect(before.items.some((i) => i.source === 'turn')).toBe(true);
    expect((await call('DELETE', '/api/v1/sessions/api-s1', TOKENS.operator2)).status).toBe(403);
    expect((await call('DELETE', '/api/v1/sessions/api-s1', TOKENS.operator)).status).toBe(204);
    const after = await memory.service.retrieveContext('api-s1', 'cart-svc deploy day');
    expect(after.items.filter((i) => i.source === 'turn' || i.source === 'preference')).toEqual([]);
    expect(await t.db.query(`select 1 from memory_messages where session_id = 'api-s1'`)).toEqual([]);
  });

  it('without a memory service the routes are a 503 problem', async () => {
    const bare = await start(undefined);
    try {
      const res = await fetch(`${bare.http.url}/api/v1/memories/search?q=x`, { headers: { authorization: `Bearer ${TOKENS.viewer}` } });
      expect(res.status).toBe(503);
      expect(((await res.json()) as any).type).toBe('urn:copilot:problem:memory-unavailable');
    } finally {
      await bare.http.close(500);
    }
  });
});
