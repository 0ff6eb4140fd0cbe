import { randomUUID } from 'node:crypto';
import type { Embedder } from '../../memory/embeddings/embedder';
import { createEmbedder } from '../../memory/embeddings/createEmbedder';
import { HashedEmbedder } from '../../memory/embeddings/hashedEmbedder';
import { QdrantStore } from '../../memory/vector/qdrantStore';
import { FakeQdrant } from './support/fakeQdrant';
import { MEMORIES, QUERIES } from './support/retrievalSet';

/**
 * recall@5 on the labelled set, per embedder, through a real VectorStore (Qdrant client against
 * the fake server). Embedders that need a model or an API are measured when configured
 * (EMBEDDER_MODEL_PATH / EMBEDDER_API_URL + EMBEDDER_API_MODEL); otherwise they are reported as
 * not available on this machine.
 */
async function recallAt5(embedder: Embedder, fake: FakeQdrant): Promise<number> {
  const store = new QdrantStore({ url: fake.url, collection: `recall_${embedder.name.replace(/[^\w-]/g, '_')}`, dimension: embedder.dimension });
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
  for (const { q, relevant } of QUERIES) {
    const [v] = await embedder.embed([q]);
    const top = (await store.search(v!, { tenant: 'default' }, 5)).map((h) => ids.get(h.id));
    found += relevant.filter((r) => top.includes(r)).length;
    total += relevant.length;
  }
  return found / total;
}

describe('retrieval quality (recall@5)', () => {
  let fake: FakeQdrant;
  beforeAll(async () => {
    fake = await FakeQdrant.start();
  });
  afterAll(async () => {
    await fake.close();
  });

  it('measures every available embedder and the default is good enough', async () => {
    const embedders: Embedder[] = [
      new HashedEmbedder({ dimension: 384 }),
      new HashedEmbedder({ dimension: 384, bigrams: false, charTrigrams: false }),
      new HashedEmbedder({ dimension: 128 }),
    ];
    const lines: string[] = [];
    const recall = new Map<string, number>();
    for (const e of embedders) {
      const r = await recallAt5(e, fake);
      recall.set(e.name, r);
      lines.push(`  ${e.name.padEnd(24)} recall@5 = ${r.toFixed(3)}`);
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
      lines.push(`  ${e.name.padEnd(24)} recall@5 = ${(await recallAt5(e, fake)).toFixed(3)}`);
    }
    console.log(`recall@5 over ${QUERIES.length} queries / ${Object.keys(MEMORIES).length} memories:\n${lines.join('\n')}`);
    expect(recall.get('hashed-w12c3-384')).toBeGreaterThanOrEqual(0.9);
  });
});
