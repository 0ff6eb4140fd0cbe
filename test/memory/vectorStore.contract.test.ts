/** @jest-environment ./test/db/pgliteEnvironment.ts */
import { randomUUID } from 'node:crypto';
import { HashedEmbedder } from '../../memory/embeddings/hashedEmbedder';
import { createVectorStore } from '../../memory/vector/createVectorStore';
import { EmbeddedVectorStore } from '../../memory/vector/embeddedVectorStore';
import { PgvectorStore } from '../../memory/vector/pgvectorStore';
import { QdrantStore } from '../../memory/vector/qdrantStore';
import { VectorStoreConfigError, type VectorPayload, type VectorPoint, type VectorStore } from '../../memory/vector/vectorStore';
import { FakeQdrant } from './support/fakeQdrant';
import { openMemoryDb, type MemoryDb } from './support/memoryHarness';

jest.mock('@electric-sql/pglite', () => (globalThis as Record<string, unknown>).__hostPglite);

/**
 * One contract for every long-term backend that can run here: pgvector on PGlite (the
 * `@electric-sql/pglite-pgvector` extension registered by db/pgliteDatabase.ts), Qdrant (against the
 * FAKE Qdrant server in support/fakeQdrant.ts), and the embedded store on PGlite and on real
 * Postgres. Debian's Postgres 15 has no pgvector: that start-up failure is tested below.
 */
const embedder = new HashedEmbedder({ dimension: 64 });
const embed = async (t: string) => (await embedder.embed([t]))[0]!;

type Backend = 'pgvector (pglite)' | 'qdrant (fake server)' | 'embedded (pglite)' | 'embedded (postgres)';

describe.each<Backend>(['pgvector (pglite)', 'qdrant (fake server)', 'embedded (pglite)', 'embedded (postgres)'])('VectorStore contract: %s', (backend) => {
  let clock = 1_000_000;
  const now = () => clock;
  let store: VectorStore;
  let fake: FakeQdrant | undefined;
  let db: MemoryDb | undefined;

  beforeAll(async () => {
    if (backend.startsWith('qdrant')) {
      fake = await FakeQdrant.start();
      store = new QdrantStore({ url: fake.url, collection: 'contract', dimension: 64, now });
    } else {
      db = await openMemoryDb(backend.includes('pglite') ? 'pglite' : 'postgres');
      store = backend.startsWith('pgvector') ? new PgvectorStore(db.db, { dimension: 64, now }) : new EmbeddedVectorStore(db.db, { dimension: 64, now });
    }
    await store.init();
    await store.init(); // idempotent on restart
  });
  afterAll(async () => {
    await store.close();
    await fake?.close();
    await db?.dispose();
  });

  const payload = (over: Partial<VectorPayload>): VectorPayload => ({
    tenant: 'default',
    kind: 'incident',
    text: '',
    importance: 0.8,
    createdAt: clock,
    expiresAt: clock + 10_000,
    ...over,
  });

  const ids = { pool: randomUUID(), disk: randomUUID(), pref: randomUUID(), other: randomUUID(), expiring: randomUUID() };

  it('upserts and finds the nearest by cosine, best first', async () => {
    const docs: [string, Partial<VectorPayload>][] = [
      [ids.pool, { text: 'checkout-svc 502 errors caused by exhausted database connection pool', service: 'checkout-svc', sessionId: 's-1' }],
      [ids.disk, { text: 'payments-api disk full on the log volume', service: 'payments-api' }],
      [ids.pref, { text: 'show charts, not tables', kind: 'preference', team: 'sre' }],
      [ids.other, { text: 'checkout-svc connection pool exhausted again', tenant: 'other-tenant' }],
    ];
    await store.upsert(await Promise.all(docs.map(async ([id, p]) => ({ id, vector: await embed(p.text!), payload: payload(p) }))));
    const hits = await store.search(await embed('connection pool exhausted on checkout-svc'), { tenant: 'default' }, 3);
    expect(hits[0]?.id).toBe(ids.pool);
    expect(hits[0]!.score).toBeGreaterThan(hits[1]!.score);
    expect(hits[0]!.score).toBeLessThanOrEqual(1.0001);
    expect(hits[0]!.payload).toMatchObject({ text: docs[0]![1].text, service: 'checkout-svc', kind: 'incident', sessionId: 's-1' });
    expect(hits.map((h) => h.id)).not.toContain(ids.other);
  });

  it('filters by kind, service and team', async () => {
    const v = await embed('anything');
    expect((await store.search(v, { tenant: 'default', kinds: ['preference'] }, 10)).map((h) => h.id)).toEqual([ids.pref]);
    expect((await store.search(v, { tenant: 'default', service: 'payments-api' }, 10)).map((h) => h.id)).toEqual([ids.disk]);
    expect((await store.search(v, { tenant: 'default', team: 'sre' }, 10)).map((h) => h.id)).toEqual([ids.pref]);
    expect(await store.search(v, { tenant: 'default', kinds: ['doc', 'note'] }, 10)).toEqual([]);
  });

  it('updates a point in place on re-upsert', async () => {
    await store.upsert([
      { id: ids.disk, vector: await embed('payments-api disk full'), payload: payload({ text: 'payments-api disk full (fixed by log rotation)', service: 'payments-api' }) },
    ]);
    const hits = await store.search(await embed('payments-api disk'), { tenant: 'default', service: 'payments-api' }, 5);
    expect(hits).toHaveLength(1);
    expect(hits[0]!.payload.text).toContain('log rotation');
  });

  it('never returns expired points and purges them', async () => {
    await store.upsert([{ id: ids.expiring, vector: await embed('short lived note'), payload: payload({ text: 'short lived note', kind: 'note', expiresAt: clock + 100 }) }]);
    expect((await store.search(await embed('short lived note'), { tenant: 'default', kinds: ['note'] }, 5)).map((h) => h.id)).toEqual([ids.expiring]);
    clock += 200;
    expect(await store.search(await embed('short lived note'), { tenant: 'default', kinds: ['note'] }, 5)).toEqual([]);
    const before = await store.count();
    await store.purgeExpired();
    expect(await store.count()).toBe(before - 1);
  });

  it('deletes by id and by session', async () => {
    await store.delete([ids.disk]);
    await store.deleteBySession('s-1');
    const left = (await store.search(await embed('checkout payments'), { tenant: 'default' }, 10)).map((h) => h.id);
    expect(left).toEqual([ids.pref]);
    await store.delete([]);
  });

  it('upsert is idempotent: the same points again, or an id twice in one batch (last wins)', async () => {
    const id = randomUUID();
    const v = await embed('idempotent upsert of a runbook outcome');
    const point = { id, vector: v, payload: payload({ text: 'runbook outcome v1', kind: 'runbook-outcome', service: 'idem-svc' }) };
    await store.upsert([point]);
    const before = await store.count();
    await store.upsert([point]);
    await store.upsert([point, { ...point, payload: { ...point.payload, text: 'runbook outcome v2' } }]);
    expect(await store.count()).toBe(before);
    const hits = await store.search(v, { tenant: 'default', service: 'idem-svc' }, 5);
    expect(hits.map((h) => [h.id, h.payload.text])).toEqual([[id, 'runbook outcome v2']]);
    expect(hits[0]!.score).toBeCloseTo(1, 4);
    expect(hits[0]!.payload).toEqual({ ...point.payload, text: 'runbook outcome v2' });
    await store.delete([id]);
    expect(await store.search(v, { tenant: 'default', service: 'idem-svc' }, 5)).toEqual([]);
  });

  it('rejects a vector of the wrong dimension', async () => {
    await expect(store.upsert([{ id: randomUUID(), vector: [1, 2, 3], payload: payload({ text: 'x' }) }])).rejects.toThrow(/dimension/);
  });
});

describe('PgvectorStore on PGlite: schema, index and filtered approximate search', () => {
  let t: MemoryDb;
  beforeAll(async () => {
    t = await openMemoryDb('pglite');
  });
  afterAll(async () => {
    await t.dispose();
  });

  it('creates the extension, a vector(<dimension>) table and an HNSW cosine index; refuses another dimension', async () => {
    const store = new PgvectorStore(t.db, { dimension: 32, table: 'pgv_schema' });
    await store.init();
    const ext = await t.db.query<{ extversion: string }>("select extversion from pg_extension where extname = 'vector'");
    expect(ext).toHaveLength(1);
    const col = await t.db.query<{ type: string }>(
      "select format_type(atttypid, atttypmod) as type from pg_attribute where attrelid = 'pgv_schema'::regclass and attname = 'embedding'",
    );
    expect(col[0]?.type).toBe('vector(32)');
    const idx = await t.db.query<{ indexdef: string }>("select indexdef from pg_indexes where tablename = 'pgv_schema' and indexdef ilike '%using hnsw%'");
    expect(idx[0]?.indexdef).toMatch(/hnsw \(embedding vector_cosine_ops\)/);
    await expect(new PgvectorStore(t.db, { dimension: 64, table: 'pgv_schema' }).init()).rejects.toThrow(/vector\(32\).*vector\(64\)/);
  });

  it('a selective filter over many points still returns every match, in exact order (HNSW iterative scan + exact fallback)', async () => {
    const dim = 64;
    const store = new PgvectorStore(t.db, { dimension: dim, table: 'pgv_filtered' });
    await store.init();
    let seed = 42;
    const rand = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31 - 0.5;
    const base = { tenant: 'default', text: 'x', importance: 0.5, createdAt: 0, expiresAt: Date.now() + 86_400_000 };
    // Every 50th incident belongs to rare-svc (60 points, 2%): no b-tree serves that filter.
    const incidents: VectorPoint[] = Array.from({ length: 3000 }, (_, i) => ({
      id: randomUUID(),
      vector: Array.from({ length: dim }, rand),
      payload: { ...base, kind: 'incident', ...(i % 50 === 0 ? { service: 'rare-svc' } : {}) },
    }));
    const prefs: VectorPoint[] = Array.from({ length: 3 }, (_, i) => ({
      id: randomUUID(),
      vector: Array.from({ length: dim }, rand),
      payload: { ...base, kind: 'preference', text: `pref ${i}` },
    }));
    await store.upsert([...incidents, ...prefs]);
    expect(await store.count()).toBe(3003);
    const q = Array.from({ length: dim }, rand);
    const cosine = (a: number[], b: number[]) => {
      let d = 0;
      let na = 0;
      let nb = 0;
      for (let i = 0; i < a.length; i++) {
        d += a[i]! * b[i]!;
        na += a[i]! ** 2;
        nb += b[i]! ** 2;
      }
      return d / Math.sqrt(na * nb);
    };
    const exact = (pts: VectorPoint[]) => [...pts].sort((a, b) => cosine(q, b.vector) - cosine(q, a.vector)).map((p) => p.id);

    expect((await store.search(q, { tenant: 'default', kinds: ['preference'] }, 5)).map((h) => h.id)).toEqual(exact(prefs));
    // With planner statistics a 2% filter on 3000 rows is a scan plus sort; forbid both, so the HNSW
    // index serves the filtered query (iterative scan until 10 rows pass the filter).
    await t.db.exec('set enable_seqscan = off; set enable_sort = off');
    const rarePlan = await t.db.query<Record<string, string>>(
      `explain select id from pgv_filtered where tenant = 'default' and expires_at > 0 and service = 'rare-svc' order by embedding <=> '[${q.join(',')}]'::vector limit 10`,
    );
    expect(rarePlan.map((r) => Object.values(r).join(' ')).join('\n')).toMatch(/pgv_filtered_hnsw/);
    const rare = await store.search(q, { tenant: 'default', service: 'rare-svc' }, 10);
    await t.db.exec('reset enable_seqscan; reset enable_sort');
    expect(rare).toHaveLength(10);
    const rareTruth = exact(incidents.filter((p) => p.payload.service === 'rare-svc')).slice(0, 10);
    expect(rare.filter((h) => rareTruth.includes(h.id)).length).toBeGreaterThanOrEqual(9);
    expect(rare.every((h) => h.payload.service === 'rare-svc')).toBe(true);
    // Unfiltered: the approximate index agrees with the exact top 10 on these data.
    const hits = await store.search(q, { tenant: 'default' }, 10);
    expect(hits).toHaveLength(10);
    const truth = exact([...incidents, ...prefs]).slice(0, 10);
    expect(hits.filter((h) => truth.includes(h.id)).length).toBeGreaterThanOrEqual(9);
    expect(hits[0]!.score).toBeCloseTo(cosine(q, [...incidents, ...prefs].find((p) => p.id === hits[0]!.id)!.vector), 4);
    // The unfiltered query is served by the HNSW index.
    const plan = await t.db.query<Record<string, string>>(
      `explain select id from pgv_filtered where tenant = 'default' and expires_at > 0 order by embedding <=> '[${q.join(',')}]'::vector limit 10`,
    );
    expect(plan.map((r) => Object.values(r).join(' ')).join('\n')).toMatch(/pgv_filtered_hnsw/);
  });
});

describe('vector store selection', () => {
  let pg: MemoryDb;
  let lite: MemoryDb;
  let fake: FakeQdrant;
  beforeAll(async () => {
    pg = await openMemoryDb('postgres');
    lite = await openMemoryDb('pglite');
    fake = await FakeQdrant.start();
  });
  afterAll(async () => {
    await fake.close();
    await pg.dispose();
    await lite.dispose();
  });

  it('VECTOR_STORE=pgvector on a Postgres without the extension fails start-up with the fix', async () => {
    const store = new PgvectorStore(pg.db, { dimension: 64 });
    await expect(store.init()).rejects.toThrow(VectorStoreConfigError);
    await expect(createVectorStore({ VECTOR_STORE: 'pgvector', QDRANT_COLLECTION: 'x' }, pg.db, 64)).rejects.toThrow(/no pgvector extension.*Install pgvector.*QDRANT_URL/s);
  });

  it('defaults: qdrant with QDRANT_URL; else pgvector on PGlite; embedded on a Postgres without pgvector (with a warning)', async () => {
    const warnings: string[] = [];
    const logger = { debug() {}, info() {}, error() {}, warn: (_o: object, m: string) => void warnings.push(m) };
    const q = await createVectorStore({ QDRANT_URL: fake.url, QDRANT_COLLECTION: 'sel' }, pg.db, 64, logger);
    expect(q.kind).toBe('qdrant');
    const p = await createVectorStore({ QDRANT_COLLECTION: 'sel' }, lite.db, 64, logger);
    expect(p.kind).toBe('pgvector');
    expect(warnings).toEqual([]);
    await p.close();
    const e = await createVectorStore({ QDRANT_COLLECTION: 'sel' }, pg.db, 64, logger);
    expect(e.kind).toBe('embedded');
    expect(warnings.join()).toMatch(/embedded per-process vector index/);
    await e.close();
    const explicit = await createVectorStore({ VECTOR_STORE: 'embedded', QDRANT_COLLECTION: 'sel' }, lite.db, 64, logger);
    expect(explicit.kind).toBe('embedded');
    await explicit.close();
  });

  it('Qdrant: an existing collection of another dimension is refused', async () => {
    await new QdrantStore({ url: fake.url, collection: 'dims', dimension: 64 }).init();
    await expect(new QdrantStore({ url: fake.url, collection: 'dims', dimension: 128 }).init()).rejects.toThrow(/size 64.*expected 128/);
    expect(fake.requests).toContain('PUT /collections/dims/index');
  });
});
