import type { RunningHttpServer } from '../../api/httpServer';
import { loadConfig } from '../../config/env';
import { openMemory, type MemoryRuntime } from '../../memory/openMemory';
import { FakeQdrant } from './support/fakeQdrant';
import { startMemoryApi } from './support/memoryApi';
import { openMemoryDb, type MemoryDb } from './support/memoryHarness';
import { ISSUE_17_LINES } from './support/redactionCorpus';

/**
 * Issue 17 end to end: the ten kinds that came back verbatim are stored through the real API
 * (Redis short-term, Postgres medium-term, fake Qdrant) and read back by id and by search; the raw
 * value must be in none of the answers, the vector payloads or the request logs.
 */
const TOKENS = { viewer: 'red-viewer-1', operator: 'red-operator-1' };
const AUTH_TOKENS = `${TOKENS.viewer}=vera:viewer,${TOKENS.operator}=olga:operator`;

describe('redaction through POST /api/v1/memories (issue 17)', () => {
  let t: MemoryDb;
  let fake: FakeQdrant;
  let memory: MemoryRuntime;
  let http: RunningHttpServer;
  let logs: string[] = [];

  const call = async (method: string, path: string, token: string, json?: unknown) => {
    const res = await fetch(`${http.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(json !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    t = await openMemoryDb('postgres');
    fake = await FakeQdrant.start();
    const config = loadConfig({ NODE_ENV: 'test', REDIS_URL: process.env.TEST_REDIS_URL, QDRANT_URL: fake.url, QDRANT_COLLECTION: 'redaction_api_test', AUTH_TOKENS });
    memory = await openMemory(config, t.db);
    const api = await startMemoryApi(config, memory);
    http = api.http;
    logs = api.logs;
  });
  afterAll(async () => {
    await http.close(1000);
    await memory.close();
    await fake.close();
    await t.dispose();
  });

  it.each(ISSUE_17_LINES.map((l) => [l.secrets[0]!.kind, l] as const))('%s is stored and read back as a placeholder', async (kind, line) => {
    const secret = line.secrets[0]!.value;
    const added = await call('POST', '/api/v1/memories', TOKENS.operator, { text: `${line.text} (svc-ledger)`, kind: 'note' });
    expect(added.status).toBe(201);
    const id = String(added.body.id);

    const one = await call('GET', `/api/v1/memories/${id}`, TOKENS.viewer);
    expect(one.status).toBe(200);
    const text = String(one.body.text);
    expect(text).not.toContain(secret);
    expect(text).toContain(`<${kind}_1>`);
    expect(text).toBe(`${line.text.replace(secret, `<${kind}_1>`)} (svc-ledger)`);

    const search = await call('GET', `/api/v1/memories/search?q=${encodeURIComponent(line.text)}&limit=20`, TOKENS.viewer);
    expect(JSON.stringify(search.body)).not.toContain(secret);
    expect(JSON.stringify(fake.collections.get('redaction_api_test')!.points.get(id)!.payload)).not.toContain(secret);
    expect(logs.join('')).not.toContain(secret);
  });
});
