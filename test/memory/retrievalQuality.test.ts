/** @jest-environment ./test/db/pgliteEnvironment.ts */
import { randomUUID } from 'node:crypto';
import type { Embedder } from '../../memory/embeddings/embedder';
import { createEmbedder } from '../../memory/embeddings/createEmbedder';
import { HashedEmbedder } from '../../memory/embeddings/hashedEmbedder';
import { PgvectorStore } from '../../memory/vector/pgvectorStore';
import { QdrantStore } from '../../memory/vector/qdrantStore';
import type { VectorStore } from '../../memory/vector/vectorStore';
import { FakeQdrant } from './support/fakeQdrant';
import { openMemoryDb, type MemoryDb } from './support/memoryHarness';
import { MEMORIES, QUERIES } from './support/retrievalSet';

jest.mock('@electric-sql/pglite', () => (globalThis as Record<string, unknown>).__hostPglite);

/**
 * recall@5 on the labelled set, per embedder, through a real VectorStore (Qdrant client against
 * the fake server, which scores exactly), and for the hashed embedders also through PgvectorStore
 * on PGlite (HNSW), which must return the same top 5. Embedders that need a model or an API are
 * measured when configured (EMBEDDER_MODEL_PATH / EMBEDDER_API_URL + EMBEDDER_API_MODEL); otherwise
 * they are reported as not available on this machine.
 */
interface Recall {
  recall: number;
  /** Per query, the memory keys of the top 5 with their scores, best first. */
  top5: { key: string | undefined; score: number }[][];
}

async function recallAt5(embedder: Embedder, store: VectorStore): Promise<Recall> {
  await store.init();
  const keys = Object.keys(MEMORIES);
  const ids = new Map<string, string>(keys.map((k) => [randomUUID(), k]));
  const vectors = await embedder.embed(keys.map((k) => MEMORIES[k]!));
  await store.upsert(
    [...ids.keys()].map((id, i) => ({
      id,
      vector: vectors[i]!,
      payload: { tenant: 'default', kind: 'incident', text: MEMORIES[ids.get(id)!]!, importance: 0.8, createdAt: Date.now(), expiresAt: Date.now() + 86_400_000 },
    })),
  );
  let found = 0;
  let total = 0;
  const top5: Recall['top5'] = [];
  for (const { q, relevant } of QUERIES) {
    const [v] = await embedder.embed([q]);
    const hits = (await store.search(v!, { tenant: 'default' }, 5)).map((h) => ({ key: ids.get(h.id), score: h.score }));
    top5.push(hits);
    const top = hits.map((h) => h.key);
    found += relevant.filter((r) => top.includes(r)).length;
    total += relevant.length;
  }
  return { recall: found / total, top5 };
}

const storeName = (e: Embedder) => `recall_${e.name.replace(/[^\w]/g, '_')}`.toLowerCase();

describe('retrieval quality (recall@5)', () => {
  let fake: FakeQdrant;
  let lite: MemoryDb;
  beforeAll(async () => {
    fake = await FakeQdrant.start();
    lite = await openMemoryDb('pglite');
  });
  afterAll(async () => {
    await fake.close();
    await lite.dispose();
  });
  const qdrant = (e: Embedder) => new QdrantStore({ url: fake.url, collection: storeName(e), dimension: e.dimension });

  it('measures every available embedder and the default is good enough', async () => {
    const embedders: Embedder[] = [
      new HashedEmbedder({ dimension: 384 }),
      new HashedEmbedder({ dimension: 384, bigrams: false, charTrigrams: false }),
      new HashedEmbedder({ dimension: 128 }),
    ];
    const lines: string[] = [];
    const recall = new Map<string, number>();
    for (const e of embedders) {
      const q = await recallAt5(e, qdrant(e));
      const p = await recallAt5(e, new PgvectorStore(lite.db, { dimension: e.dimension, table: storeName(e) }));
      recall.set(e.name, q.recall);
      lines.push(`  ${e.name.padEnd(24)} recall@5 = ${q.recall.toFixed(3)} (qdrant fake)  ${p.recall.toFixed(3)} (pgvector on PGlite)`);
      // The store must not change what the embedder retrieves: the same top 5, except that memories
      // tied (to float32 precision) with the 5th may swap in or out.
      expect(p.recall).toBe(q.recall);
      let identical = 0;
      QUERIES.forEach((_, i) => {
        const [a, b] = [q.top5[i]!, p.top5[i]!];
        const [aKeys, bKeys] = [new Set(a.map((h) => h.key)), new Set(b.map((h) => h.key))];
        if ([...aKeys].every((k) => bKeys.has(k))) identical++;
        const fifth = a[a.length - 1]!.score;
        for (const h of b) if (!aKeys.has(h.key)) expect(Math.abs(h.score - fifth)).toBeLessThan(1e-5);
        for (const h of a) if (!bKeys.has(h.key)) expect(Math.abs(h.score - fifth)).toBeLessThan(1e-5);
        b.forEach((h, j) => expect(h.score).toBeCloseTo(a[j]!.score, 5));
      });
      lines.push(`  ${''.padEnd(24)} pgvector top-5 identical as a set on ${identical}/${QUERIES.length} queries, the rest differ only by ties at rank 5`);
    }
    for (const [kind, configured] of [
      ['transformers', process.env.EMBEDDER_MODEL_PATH],
      ['api', process.env.EMBEDDER_API_URL],
    ] as const) {
      if (!configured) {
        lines.push(`  ${kind.padEnd(24)} not measured: not configured on this machine (no model / API offline)`);
        continue;
      }
      const e = await createEmbedder({
        EMBEDDER: kind,
        EMBEDDING_DIM: Number(process.env.EMBEDDING_DIM ?? 384),
        EMBEDDER_MODEL_PATH: process.env.EMBEDDER_MODEL_PATH,
        EMBEDDER_API_URL: process.env.EMBEDDER_API_URL,
        EMBEDDER_API_KEY: process.env.EMBEDDER_API_KEY,
        EMBEDDER_API_MODEL: process.env.EMBEDDER_API_MODEL,
      });
      lines.push(`  ${e.name.padEnd(24)} recall@5 = ${(await recallAt5(e, qdrant(e))).recall.toFixed(3)}`);
    }
    console.log(`recall@5 over ${QUERIES.length} queries / ${Object.keys(MEMORIES).length} memories:\n${lines.join('\n')}`);
    expect(recall.get('hashed-w12c3-384')).toBeGreaterThanOrEqual(0.9);
  });
});
