import type { Database, DbLogger } from '../../db/database';
import { EmbeddedVectorStore } from './embeddedVectorStore';
import { PgvectorStore } from './pgvectorStore';
import { VectorStoreConfigError, type VectorStore } from './vectorStore';

export type VectorStoreChoice = 'pgvector' | 'qdrant' | 'embedded';

export interface VectorStoreConfig {
  /** Unset: qdrant when QDRANT_URL is set, else pgvector when the database has it, else embedded. */
  VECTOR_STORE?: VectorStoreChoice | undefined;
  QDRANT_URL?: string | undefined;
  QDRANT_API_KEY?: string | undefined;
  QDRANT_COLLECTION: string;
}

export async function pgvectorAvailable(db: Database): Promise<boolean> {
  const rows = await db.query("select 1 from pg_available_extensions where name = 'vector'");
  return rows.length > 0;
}

/** Picks, builds and initialises (collection/table with the right dimension) the long-term store. */
export async function createVectorStore(config: VectorStoreConfig, db: Database, dimension: number, logger?: DbLogger, now?: () => number): Promise<VectorStore> {
  let choice = config.VECTOR_STORE;
  if (!choice) {
    if (config.QDRANT_URL) choice = 'qdrant';
    else choice = (await pgvectorAvailable(db)) ? 'pgvector' : 'embedded';
    if (choice === 'pgvector' && logger) {
      // A database that used the embedded store before PGlite shipped pgvector keeps those points there.
      const [left] = await db.query<{ n: number | string }>("select case when to_regclass('memory_vectors_embedded') is null then 0 else 1 end as n");
      if (Number(left?.n ?? 0) > 0) {
        const [rows] = await db.query<{ n: number | string }>('select count(*) as n from memory_vectors_embedded');
        if (Number(rows?.n ?? 0) > 0) {
          logger.warn(
            { points: Number(rows?.n) },
            'long-term memory now defaults to pgvector; earlier points are in memory_vectors_embedded: set VECTOR_STORE=embedded to keep using them',
          );
        }
      }
    }
    if (choice === 'embedded' && db.kind === 'postgres') {
      logger?.warn(
        {},
        "no QDRANT_URL and no pgvector on this Postgres (Debian's postgresql-15 has none): long-term memory uses the embedded per-process vector index; run one replica, install pgvector, or set QDRANT_URL",
      );
    }
  }
  let store: VectorStore;
  switch (choice) {
    case 'qdrant':
      if (!config.QDRANT_URL) throw new VectorStoreConfigError('VECTOR_STORE=qdrant needs QDRANT_URL');
      {
        // Loaded only when chosen: the Qdrant client is ~120 modules an install without Qdrant never needs.
        const { QdrantStore } = await import('./qdrantStore');
        store = new QdrantStore({
          url: config.QDRANT_URL,
          collection: config.QDRANT_COLLECTION,
          dimension,
          ...(config.QDRANT_API_KEY ? { apiKey: config.QDRANT_API_KEY } : {}),
          ...(now ? { now } : {}),
        });
      }
      break;
    case 'pgvector':
      store = new PgvectorStore(db, { dimension, ...(now ? { now } : {}) });
      break;
    case 'embedded':
      store = new EmbeddedVectorStore(db, { dimension, ...(now ? { now } : {}) });
      break;
  }
  await store.init();
  return store;
}
