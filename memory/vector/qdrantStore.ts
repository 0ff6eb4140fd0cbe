import { QdrantClient } from '@qdrant/js-client-rest';
import { VectorStoreConfigError, type VectorFilter, type VectorHit, type VectorPayload, type VectorPoint, type VectorStore } from './vectorStore';

export interface QdrantStoreOptions {
  url: string;
  apiKey?: string;
  collection?: string;
  dimension: number;
  now?: () => number;
  timeoutMs?: number;
}

type QdrantCondition = Record<string, unknown>;

/** The client's ApiError says only "Bad Request"; Qdrant's reason is in the body. */
async function explained<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    const data = (err as { data?: { status?: { error?: string } } }).data;
    const status = (err as { status?: number }).status;
    if (data?.status?.error) throw new Error(`Qdrant ${what} failed (${status ?? '?'}): ${data.status.error}`, { cause: err });
    throw err;
  }
}

/**
 * Qdrant for production: one collection (cosine distance, the embedder's dimension) with keyword
 * payload indexes on the filter fields and an integer index on `expiresAt`, so tenant/kind/service
 * filters and expiry are applied inside the HNSW search rather than after it.
 */
export class QdrantStore implements VectorStore {
  readonly kind = 'qdrant' as const;
  readonly dimension: number;
  private readonly client: QdrantClient;
  private readonly collection: string;
  private readonly now: () => number;

  constructor(options: QdrantStoreOptions) {
    this.dimension = options.dimension;
    this.collection = options.collection ?? 'copilot_memories';
    this.now = options.now ?? Date.now;
    // No start-up version probe: it is a fire-and-forget request that would outlive close().
    this.client = new QdrantClient({
      url: options.url,
      ...(options.apiKey ? { apiKey: options.apiKey } : {}),
      timeout: options.timeoutMs ?? 10_000,
      checkCompatibility: false,
    });
  }

  async init(): Promise<void> {
    const { exists } = await this.client.collectionExists(this.collection);
    if (exists) {
      const info = await this.client.getCollection(this.collection);
      const vectors = info.config.params.vectors as { size?: number; distance?: string } | undefined;
      if (vectors?.size !== this.dimension || vectors.distance !== 'Cosine') {
        throw new VectorStoreConfigError(`Qdrant collection ${this.collection} has size ${vectors?.size} / ${vectors?.distance}, expected ${this.dimension} / Cosine`);
      }
      return;
    }
    await this.client.createCollection(this.collection, { vectors: { size: this.dimension, distance: 'Cosine' } });
    for (const field of ['tenant', 'team', 'service', 'kind', 'sessionId'] as const) {
      await this.client.createPayloadIndex(this.collection, { field_name: field, field_schema: 'keyword', wait: true });
    }
    await this.client.createPayloadIndex(this.collection, { field_name: 'expiresAt', field_schema: 'integer', wait: true });
  }

  async upsert(points: readonly VectorPoint[]): Promise<void> {
    if (points.length === 0) return;
    await explained('upsert', () =>
      this.client.upsert(this.collection, {
        wait: true,
        points: points.map((p) => ({ id: p.id, vector: [...p.vector], payload: { ...p.payload } })),
      }),
    );
  }

  async search(vector: readonly number[], filter: VectorFilter, limit: number): Promise<VectorHit[]> {
    const must: QdrantCondition[] = [
      { key: 'tenant', match: { value: filter.tenant } },
      { key: 'expiresAt', range: { gt: this.now() } },
    ];
    if (filter.team !== undefined) must.push({ key: 'team', match: { value: filter.team } });
    if (filter.service !== undefined) must.push({ key: 'service', match: { value: filter.service } });
    if (filter.kinds && filter.kinds.length > 0) must.push({ key: 'kind', match: { any: [...filter.kinds] } });
    const result = await explained('query', () => this.client.query(this.collection, { query: [...vector], filter: { must }, limit, with_payload: true }));
    return result.points.map((p) => ({ id: String(p.id), score: p.score, payload: p.payload as unknown as VectorPayload }));
  }

  async delete(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.client.delete(this.collection, { wait: true, points: [...ids] });
  }

  async deleteBySession(sessionId: string): Promise<void> {
    await this.client.delete(this.collection, { wait: true, filter: { must: [{ key: 'sessionId', match: { value: sessionId } }] } });
  }

  async purgeExpired(): Promise<void> {
    await this.client.delete(this.collection, { wait: true, filter: { must: [{ key: 'expiresAt', range: { lte: this.now() } }] } });
  }

  async count(): Promise<number> {
    return (await this.client.count(this.collection, { exact: true })).count;
  }

  async close(): Promise<void> {}
}
