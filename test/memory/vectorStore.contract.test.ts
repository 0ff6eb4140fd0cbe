/** @jest-environment ./test/db/pgliteEnvironment.ts */
import { randomUUID } from 'node:crypto';
import { HashedEmbedder } from '../../memory/embeddings/hashedEmbedder';
import { createVectorStore } from '../../memory/vector/createVectorStore';
import { EmbeddedVectorStore } from '../../memory/vector/embeddedVectorStore';
import { PgvectorStore } from '../../memory/vector/pgvectorStore';
import { QdrantStore } from '../../memory/vector/qdrantStore';
import { VectorStoreConfigError, type VectorPayload, type VectorStore } from '../../memory/vector/vectorStore';
import { FakeQdrant } from './support/fakeQdrant';
import { openMemoryDb, type MemoryDb } from './support/memoryHarness';

jest.mock('@electric-sql/pglite', () => (globalThis as Record<string, unknown>).__hostPglite);

/**
 * One contract for every long-term backend that can run here: Qdrant (against the FAKE Qdrant
 * server in support/fakeQdrant.ts), and the embedded store on PGlite and on real Postgres.
 * pgvector itself cannot run on this machine (no extension in Debian's Postgres 15 nor in PGlite
 * 0.5.14); its start-up failure is tested below.
 */
const embedder = new HashedEmbedder({ dimension: 64 });
const embed = async (t: string) => (await embedder.embed([t]))[0]!;

type Backend = 'qdrant (fake server)' | 'embedded (pglite)' | 'embedded (postgres)';

describe.each<Backend>(['qdrant (fake server)', 'embedded (pglite)', 'embedded (postgres)'])('VectorStore contract: %s', (backend) => {
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
      store = new EmbeddedVectorStore(db.db, { dimension: 64, now });
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
    tenant: 'default', kind: 'incident', text: '', importance: 0.8, createdAt: clock, expiresAt: clock + 10_000, ...over,
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
    expect((await store.search(v, { tenant: 'default', kinds: ['doc', 'note'] }, 10))).toEqual([]);
  });

  it('updates a point in place on re-upsert', async () => {
    await store.upsert([{ id: ids.disk, vector: await embed('payments-api disk full'), payload: payload({ text: 'payments-api disk full (fixed by log rotation)', service: 'payments-api' }) }]);
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

  it('rejects a vector of the wrong dimension', async () => {
    await expect(store.upsert([{ id: randomUUID(), vector: [1, 2, 3], payload: payload({ text: 'x' }) }])).rejects.toThrow(/dimension/);
  });
});

describe('vector store selection', () => {
  let pg: MemoryDb;
  let fake: FakeQdrant;
  beforeAll(async () => {
    pg = await openMemoryDb('postgres');
    fake = await FakeQdrant.start();
  });
  afterAll(async () => {
    await fake.close();
    await pg.dispose();
  });

  it('VECTOR_STORE=pgvector on a Postgres without the extension fails start-up with the fix', async () => {
    const store = new PgvectorStore(pg.db, { dimension: 64 });
    await expect(store.init()).rejects.toThrow(VectorStoreConfigError);
    await expect(createVectorStore({ VECTOR_STORE: 'pgvector', QDRANT_COLLECTION: 'x' }, pg.db, 64)).rejects.toThrow(
      /no pgvector extension.*Install pgvector.*QDRANT_URL/s,
    );
  });

  it('defaults: qdrant with QDRANT_URL, else embedded when pgvector is missing (with a warning on Postgres)', async () => {
    const warnings: string[] = [];
    const logger = { debug() {}, info() {}, error() {}, warn: (_o: object, m: string) => void warnings.push(m) };
    const q = await createVectorStore({ QDRANT_URL: fake.url, QDRANT_COLLECTION: 'sel' }, pg.db, 64, logger);
    expect(q.kind).toBe('qdrant');
    const e = await createVectorStore({ QDRANT_COLLECTION: 'sel' }, pg.db, 64, logger);
    expect(e.kind).toBe('embedded');
    expect(warnings.join()).toMatch(/embedded per-process vector index/);
    await e.close();
  });

  it('Qdrant: an existing collection of another dimension is refused', async () => {
    await new QdrantStore({ url: fake.url, collection: 'dims', dimension: 64 }).init();
    await expect(new QdrantStore({ url: fake.url, collection: 'dims', dimension: 128 }).init()).rejects.toThrow(/size 64.*expected 128/);
    expect(fake.requests).toContain('PUT /collections/dims/index');
  });
});
