/** @jest-environment ./test/db/pgliteEnvironment.ts */
import { randomUUID } from 'node:crypto';
import { createVectorStore } from '../../memory/vector/createVectorStore';
import { EmbeddedVectorStore } from '../../memory/vector/embeddedVectorStore';
import { PgvectorStore } from '../../memory/vector/pgvectorStore';
import { QdrantStore } from '../../memory/vector/qdrantStore';
import { VectorStoreConfigError, type VectorPoint } from '../../memory/vector/vectorStore';
import { FakeQdrant } from './support/fakeQdrant';
import { openMemoryDb, type MemoryDb } from './support/memoryHarness';
import { describeVectorStoreContract } from './support/vectorStoreContract';

jest.mock('@electric-sql/pglite', () => (globalThis as Record<string, unknown>).__hostPglite);

/**
 * One contract for every long-term backend that can run here: pgvector on PGlite (the
 * `@electric-sql/pglite-pgvector` extension registered by db/pgliteDatabase.ts), Qdrant (against the
 * FAKE Qdrant server in support/fakeQdrant.ts), and the embedded store on PGlite and on real
 * Postgres, exact and through its HNSW graphs (the contract: support/vectorStoreContract.ts;
 * pgvector on a real Postgres server: pgvectorServer.test.ts). Debian's Postgres 15 has no
 * pgvector: that start-up failure is tested below.
 */
type Backend = 'pgvector (pglite)' | 'qdrant (fake server)' | 'embedded (pglite)' | 'embedded (postgres)' | 'embedded + HNSW (pglite)';

for (const backend of ['pgvector (pglite)', 'qdrant (fake server)', 'embedded (pglite)', 'embedded (postgres)', 'embedded + HNSW (pglite)'] satisfies Backend[]) {
  describeVectorStoreContract(backend, async (now) => {
    if (backend.startsWith('qdrant')) {
      const fake = await FakeQdrant.start();
      const store = new QdrantStore({ url: fake.url, collection: 'contract', dimension: 64, now });
      await store.init();
      return { store, dispose: () => fake.close() };
    }
    const db = await openMemoryDb(backend.includes('pglite') ? 'pglite' : 'postgres');
    // `embedded + HNSW`: every kind gets its graph from the first point, so the whole contract runs through the ANN path.
    const store = backend.startsWith('pgvector')
      ? new PgvectorStore(db.db, { dimension: 64, now })
      : new EmbeddedVectorStore(db.db, { dimension: 64, now, ...(backend.includes('HNSW') ? { ann: { minRows: 0 } } : {}) });
    await store.init();
    return { store, dispose: () => db.dispose() };
  });
}

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
    // One partial index per kind, none over the whole table.
    expect(idx.map((i) => i.indexdef.replace(/^.* USING /, '')).sort()).toEqual(
      ['doc', 'incident', 'note', 'preference', 'runbook-outcome'].map((k) => `hnsw (embedding vector_cosine_ops) WHERE (kind = '${k}'::text)`),
    );
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
      `explain select id from pgv_filtered where kind = 'incident' and tenant = 'default' and expires_at > 0 and service = 'rare-svc' order by embedding <=> '[${q.join(',')}]'::vector limit 10`,
    );
    expect(rarePlan.map((r) => Object.values(r).join(' ')).join('\n')).toMatch(/pgv_filtered_hnsw_incident/);
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
    // A kind's query is served by that kind's partial HNSW index.
    const plan = await t.db.query<Record<string, string>>(
      `explain select id from pgv_filtered where kind = 'incident' and tenant = 'default' and expires_at > 0 order by embedding <=> '[${q.join(',')}]'::vector limit 10`,
    );
    expect(plan.map((r) => Object.values(r).join(' ')).join('\n')).toMatch(/pgv_filtered_hnsw_incident/);
  });
});

describe('EmbeddedVectorStore HNSW graphs: same answers as the exact scan', () => {
  let t: MemoryDb;
  beforeAll(async () => {
    t = await openMemoryDb('pglite');
  });
  afterAll(async () => {
    await t.dispose();
  });

  it('by default a kind gets its graph at 1000 points: a store of many mid-sized kinds is not scanned whole', async () => {
    const dim = 8;
    const base = { tenant: 'default', text: 'x', importance: 0.5, createdAt: 0, expiresAt: Date.now() + 86_400_000 };
    const of = (kind: 'incident' | 'doc', n: number): VectorPoint[] =>
      Array.from({ length: n }, (_, i) => ({ id: randomUUID(), vector: Array.from({ length: dim }, (_, d) => Math.sin(i * 7 + d)), payload: { ...base, kind } }));
    const store = new EmbeddedVectorStore(t.db, { dimension: dim, table: 'emb_default' });
    await store.init();
    await store.upsert([...of('incident', 1000), ...of('doc', 999)]);
    expect(store.indexedKinds).toEqual(['incident']);
  });

  it('a kind past minRows is searched through its graph: top 10 as exact, selective filters complete, deletes compacted', async () => {
    const dim = 32;
    let seed = 7;
    // 32-bit LCG with Math.imul: exact integer arithmetic (a float product would lose bits).
    const rand = () => (seed = (Math.imul(seed, 1_664_525) + 1_013_904_223) >>> 0) / 2 ** 32 - 0.5;
    const base = { tenant: 'default', text: 'x', importance: 0.5, createdAt: 0, expiresAt: Date.now() + 86_400_000 };
    const points: VectorPoint[] = Array.from({ length: 3000 }, (_, i) => ({
      id: randomUUID(),
      vector: Array.from({ length: dim }, rand),
      payload: { ...base, kind: 'incident', ...(i % 100 === 0 ? { service: 'rare-svc' } : {}) },
    }));
    const prefs: VectorPoint[] = Array.from({ length: 20 }, () => ({ id: randomUUID(), vector: Array.from({ length: dim }, rand), payload: { ...base, kind: 'preference' } }));
    const ann = new EmbeddedVectorStore(t.db, { dimension: dim, table: 'emb_ann', ann: { minRows: 1000 } });
    const exact = new EmbeddedVectorStore(t.db, { dimension: dim, table: 'emb_exact', ann: false });
    await ann.init();
    await exact.init();
    for (const store of [ann, exact]) await store.upsert([...points, ...prefs]);
    expect(ann.indexedKinds).toEqual(['incident']);
    expect(exact.indexedKinds).toEqual([]);
    const queries = Array.from({ length: 20 }, () => Array.from({ length: dim }, rand));
    let agree = 0;
    for (const q of queries) {
      const truth = (await exact.search(q, { tenant: 'default' }, 10)).map((h) => h.id);
      const got = await ann.search(q, { tenant: 'default' }, 10);
      agree += got.filter((h) => truth.includes(h.id)).length;
      // Exact re-scoring: the scores are the exact ones, best first.
      expect(got.map((h) => h.score)).toEqual([...got.map((h) => h.score)].sort((a, b) => b - a));
    }
    expect(agree / (queries.length * 10)).toBeGreaterThanOrEqual(0.9);
    // 30 rare-svc points among 3000: the graph's 100 candidates hold few of them, the exact fallback all.
    for (const q of queries.slice(0, 5)) {
      const filter = { tenant: 'default', service: 'rare-svc' };
      expect((await ann.search(q, filter, 10)).map((h) => h.id)).toEqual((await exact.search(q, filter, 10)).map((h) => h.id));
    }
    // Preferences (20 points) have no graph: exact.
    expect((await ann.search(queries[0]!, { tenant: 'default', kinds: ['preference'] }, 5)).map((h) => h.id)).toEqual(
      (await exact.search(queries[0]!, { tenant: 'default', kinds: ['preference'] }, 5)).map((h) => h.id),
    );
    // Deleting many points rebuilds the graph without its tombstones: still searched through it, same answers.
    const q = queries[1]!;
    const firstCut = points.slice(0, 1200).map((p) => p.id);
    await ann.delete(firstCut);
    await exact.delete(firstCut);
    expect(ann.indexedKinds).toEqual(['incident']);
    const afterCut = (await exact.search(q, { tenant: 'default' }, 10)).map((h) => h.id);
    expect((await ann.search(q, { tenant: 'default' }, 10)).filter((h) => afterCut.includes(h.id)).length).toBeGreaterThanOrEqual(8);
    const removed = new Set(firstCut);
    expect((await ann.search(q, { tenant: 'default' }, 50)).filter((h) => removed.has(h.id))).toEqual([]);
    // A kind that shrank below half of minRows loses its graph: exact again.
    const secondCut = points.slice(1200, 2600).map((p) => p.id);
    await ann.delete(secondCut);
    await exact.delete(secondCut);
    expect(ann.indexedKinds).toEqual([]);
    expect((await ann.search(q, { tenant: 'default' }, 10)).map((h) => h.id)).toEqual((await exact.search(q, { tenant: 'default' }, 10)).map((h) => h.id));
    // A restart builds the graphs from the table.
    const restarted = new EmbeddedVectorStore(t.db, { dimension: dim, table: 'emb_ann', ann: { minRows: 300 } });
    await restarted.init();
    expect(restarted.indexedKinds).toEqual(['incident']);
    expect(await restarted.count()).toBe(420);
    const truth = (await exact.search(q, { tenant: 'default' }, 10)).map((h) => h.id);
    expect((await restarted.search(q, { tenant: 'default' }, 10)).filter((h) => truth.includes(h.id)).length).toBeGreaterThanOrEqual(8);
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
