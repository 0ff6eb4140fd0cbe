import type { Database } from '../../../db/database';
import { migrate } from '../../../db/migrate';
import { PgliteDatabase } from '../../../db/pgliteDatabase';
import { PostgresDatabase } from '../../../db/postgresDatabase';
import type { Summariser } from '../../../memory/context/compression';
import { HashedEmbedder } from '../../../memory/embeddings/hashedEmbedder';
import { ChoiceRepository } from '../../../memory/mediumTerm/choiceRepository';
import { MemoryRecordRepository } from '../../../memory/mediumTerm/memoryRecordRepository';
import { SessionRepository } from '../../../memory/mediumTerm/sessionRepository';
import { MemoryService, type MemoryServiceOptions } from '../../../memory/memoryService';
import { Redactor } from '../../../memory/redaction/redactor';
import { InProcessShortTermStore } from '../../../memory/shortTerm/inProcessShortTermStore';
import type { ShortTermStore } from '../../../memory/shortTerm/shortTermStore';
import { EmbeddedVectorStore } from '../../../memory/vector/embeddedVectorStore';
import type { VectorStore } from '../../../memory/vector/vectorStore';
import { createScratchPostgres } from '../../db/backends';

/**
 * Test wiring for the memory tiers. PGlite files must use the pgliteEnvironment docblock and the
 * jest.mock line (see test/db/pgliteEnvironment.ts). Every handle has a close/dispose.
 */
export type SqlKind = 'postgres' | 'pglite';

export interface MemoryDb {
  db: Database;
  dispose(): Promise<void>;
}

export async function openMemoryDb(kind: SqlKind): Promise<MemoryDb> {
  if (kind === 'postgres') {
    const scratch = await createScratchPostgres();
    const db = new PostgresDatabase({ connectionString: scratch.url, poolSize: 5 });
    await migrate(db);
    return {
      db,
      async dispose() {
        await db.close();
        await scratch.drop();
      },
    };
  }
  // open(): registers the pgvector extension like the embedded default database.
  const db = await PgliteDatabase.open();
  await migrate(db);
  return { db, dispose: () => db.close() };
}

export const TEST_OPTIONS: MemoryServiceOptions = {
  longTermTtlMs: 90 * 86_400_000,
  defaultBudgetTokens: 8000,
  implicitPreferenceThreshold: 3,
  tierDeadlineMs: 300,
  maxTurns: 20,
  keepVerbatimTurns: 4,
  memoryCandidates: 20,
};

export interface ServiceParts {
  service: MemoryService;
  short: ShortTermStore;
  vectors: VectorStore;
  close(): Promise<void>;
}

/** A MemoryService on `db` with the hashed embedder; stores may be swapped in. */
export async function buildService(
  db: Database,
  overrides: { short?: ShortTermStore; vectors?: VectorStore; now?: () => number; options?: Partial<MemoryServiceOptions>; summariser?: Summariser } = {},
): Promise<ServiceParts> {
  const embedder = new HashedEmbedder({ dimension: 256 });
  const now = overrides.now ?? Date.now;
  const short = overrides.short ?? new InProcessShortTermStore({ ttlSeconds: 300, maxTurns: 20 }, now);
  const vectors = overrides.vectors ?? new EmbeddedVectorStore(db, { dimension: 256, now });
  if (!overrides.vectors) await vectors.init();
  const service = new MemoryService(
    {
      short,
      sessions: new SessionRepository(db, { turnsMs: 86_400_000, summariesMs: 30 * 86_400_000 }, now),
      records: new MemoryRecordRepository(db, now),
      choices: new ChoiceRepository(db),
      vectors,
      embedder,
      redactor: new Redactor(),
      ...(overrides.summariser ? { summariser: overrides.summariser } : {}),
      now,
    },
    { ...TEST_OPTIONS, ...overrides.options },
  );
  return {
    service,
    short,
    vectors,
    async close() {
      await short.close();
      await vectors.close();
    },
  };
}
