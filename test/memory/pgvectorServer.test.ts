import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { migrate } from '../../db/migrate';
import { PostgresDatabase } from '../../db/postgresDatabase';
import { createVectorStore } from '../../memory/vector/createVectorStore';
import { PgvectorStore } from '../../memory/vector/pgvectorStore';
import type { VectorPoint } from '../../memory/vector/vectorStore';
import { startPgvectorPostgres, type RunningServer } from '../support/realServers';
import { describeVectorStoreContract } from './support/vectorStoreContract';

/**
 * PgvectorStore against a REAL multi-client Postgres with pgvector: the PyPI `pgserver` wheel's
 * PostgreSQL 16 + pgvector 0.6.2, which ./scripts/test.sh installs into .data/tools/pgserver
 * (Debian's postgresql-15 has no pgvector). Without it, startPgvectorPostgres fails naming the fix,
 * like every other real-server test. pgvector 0.6 has no iterative index scan, so the exact
 * fallback for selective filters is what this server exercises (PGlite's 0.8 covers the other path).
 */
let server: RunningServer;

beforeAll(async () => {
  server = await startPgvectorPostgres();
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

async function createDatabase(): Promise<string> {
  const name = `pgv_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: server.url });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(server.url);
  url.pathname = `/${name}`;
  return url.toString();
}

describeVectorStoreContract('pgvector (real Postgres + pgvector, pgserver)', async (now) => {
  const db = new PostgresDatabase({ connectionString: await createDatabase(), poolSize: 5 });
  await migrate(db);
  const store = new PgvectorStore(db, { dimension: 64, now });
  await store.init();
  return { store, dispose: () => db.close() };
});

describe('PgvectorStore on a real Postgres server', () => {
  const dim = 32;
  let seed = 11;
  // 32-bit LCG with Math.imul: exact integer arithmetic, the same points every run.
  const rand = () => (seed = (Math.imul(seed, 1_664_525) + 1_013_904_223) >>> 0) / 2 ** 32 - 0.5;
  const vector = () => Array.from({ length: dim }, rand);
  const cosine = (a: readonly number[], b: readonly number[]) => {
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
  const exact = (q: readonly number[], pts: readonly VectorPoint[], k: number) =>
    [...pts]
      .sort((a, b) => cosine(q, b.vector) - cosine(q, a.vector))
      .slice(0, k)
      .map((p) => p.id);
  const base = { tenant: 'default', text: 'x', importance: 0.5, createdAt: 0, expiresAt: Date.now() + 86_400_000 };

  let url: string;
  let replicas: PostgresDatabase[] = [];
  beforeAll(async () => {
    url = await createDatabase();
    replicas = Array.from({ length: 3 }, () => new PostgresDatabase({ connectionString: url, poolSize: 4 }));
    await migrate(replicas[0]!);
  });
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.close()));
  });

  it('replicas starting together create one table with one partial HNSW index per kind; the default selection is pgvector', async () => {
    const warnings: string[] = [];
    const logger = { debug() {}, info() {}, error() {}, warn: (_o: object, m: string) => void warnings.push(m) };
    const stores = await Promise.all(replicas.map((db) => createVectorStore({ QDRANT_COLLECTION: 'x' }, db, dim, logger)));
    expect(stores.map((s) => s.kind)).toEqual(['pgvector', 'pgvector', 'pgvector']);
    expect(warnings).toEqual([]);
    const [ext] = await replicas[0]!.query<{ extversion: string }>("select extversion from pg_extension where extname = 'vector'");
    expect(ext?.extversion).toMatch(/^\d+\.\d+/);
    const idx = await replicas[0]!.query<{ indexname: string }>("select indexname from pg_indexes where tablename = 'memory_vectors' and indexdef ilike '%using hnsw%'");
    expect(idx.map((i) => i.indexname).sort()).toEqual(['doc', 'incident', 'note', 'preference', 'runbook_outcome'].map((k) => `memory_vectors_hnsw_${k}`));
  });

  it('shares points between replicas, serves each kind from its index, and stays exact under selective filters', async () => {
    const [a, b] = replicas.map((db) => new PgvectorStore(db, { dimension: dim, table: 'pgv_shared' }));
    await Promise.all([a!.init(), b!.init()]);
    // A fifth of the rows are preferences: against one shared index these came back short (ef_search 40).
    const points: VectorPoint[] = Array.from({ length: 4000 }, (_, i) => ({
      id: randomUUID(),
      vector: vector(),
      payload: { ...base, kind: i % 5 === 0 ? 'preference' : 'incident', ...(i % 100 === 1 ? { service: 'rare-svc' } : {}) },
    }));
    await a!.upsert(points);
    await replicas[0]!.exec('analyze pgv_shared');
    expect(await b!.count()).toBe(4000);

    const q = vector();
    const prefs = points.filter((p) => p.payload.kind === 'preference');
    const plan = await replicas[1]!.query<Record<string, string>>(
      `explain select id from pgv_shared where kind = 'preference' and tenant = 'default' and expires_at > 0 order by embedding <=> '[${q.join(',')}]'::vector limit 10`,
    );
    expect(plan.map((r) => Object.values(r).join(' ')).join('\n')).toMatch(/pgv_shared_hnsw_preference/);
    const hits = await b!.search(q, { tenant: 'default', kinds: ['preference'] }, 10);
    expect(hits).toHaveLength(10);
    expect(hits.every((h) => h.payload.kind === 'preference')).toBe(true);
    expect(hits.filter((h) => exact(q, prefs, 10).includes(h.id)).length).toBeGreaterThanOrEqual(8);

    // Every kind at once: one scan per kind, merged by distance.
    const all = await b!.search(q, { tenant: 'default' }, 10);
    expect(all.map((h) => h.score)).toEqual([...all.map((h) => h.score)].sort((x, y) => y - x));
    expect(all.filter((h) => exact(q, points, 10).includes(h.id)).length).toBeGreaterThanOrEqual(8);

    // 40 rare-svc incidents: the index scan finds few of them, the exact fallback all, in order.
    const rare = await b!.search(q, { tenant: 'default', service: 'rare-svc' }, 10);
    expect(rare.map((h) => h.id)).toEqual(
      exact(
        q,
        points.filter((p) => p.payload.service === 'rare-svc'),
        10,
      ),
    );

    // More than ef_search (40) wanted: the search raises it for its own transaction.
    const many = await b!.search(q, { tenant: 'default', kinds: ['incident'] }, 50);
    expect(many).toHaveLength(50);
    expect(
      many.filter((h) =>
        exact(
          q,
          points.filter((p) => p.payload.kind === 'incident'),
          50,
        ).includes(h.id),
      ).length,
    ).toBeGreaterThanOrEqual(40);

    // A point written by one replica is found, and deleted, through the other.
    const fresh: VectorPoint = { id: randomUUID(), vector: q, payload: { ...base, kind: 'note', text: 'written by replica a' } };
    await a!.upsert([fresh]);
    expect((await b!.search(q, { tenant: 'default', kinds: ['note'] }, 1))[0]).toMatchObject({ id: fresh.id, payload: { text: 'written by replica a' } });
    await b!.delete([fresh.id]);
    expect(await a!.search(q, { tenant: 'default', kinds: ['note'] }, 1)).toEqual([]);
  });

  it('many concurrent searches through small pools all complete with the right answers', async () => {
    const stores = replicas.map((db) => new PgvectorStore(db, { dimension: dim, table: 'pgv_shared' }));
    await Promise.all(stores.map((s) => s.init()));
    const queries = Array.from({ length: 30 }, vector);
    const expected = await Promise.all(queries.map((q) => stores[0]!.search(q, { tenant: 'default', kinds: ['incident', 'preference'] }, 5)));
    // 300 searches at once over 3 replicas × 4 connections: queued by the pools, none fails or mixes up results.
    const results = await Promise.all(Array.from({ length: 300 }, (_, i) => stores[i % 3]!.search(queries[i % 30]!, { tenant: 'default', kinds: ['incident', 'preference'] }, 5)));
    results.forEach((r, i) => expect(r.map((h) => h.id)).toEqual(expected[i % 30]!.map((h) => h.id)));
  });
});
