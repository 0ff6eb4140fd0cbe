import type { AppConfig } from '../config/env';
import type { Database, DbLogger } from '../db/database';
import type { Summariser } from './context/compression';
import { createEmbedder } from './embeddings/createEmbedder';
import { ChoiceRepository } from './mediumTerm/choiceRepository';
import { MemoryRecordRepository } from './mediumTerm/memoryRecordRepository';
import { SessionRepository } from './mediumTerm/sessionRepository';
import { MemoryService } from './memoryService';
import { Redactor } from './redaction/redactor';
import { InProcessShortTermStore } from './shortTerm/inProcessShortTermStore';
import { RedisShortTermStore } from './shortTerm/redisShortTermStore';
import type { ShortTermStore } from './shortTerm/shortTermStore';
import { createVectorStore } from './vector/createVectorStore';
import type { VectorStore } from './vector/vectorStore';

export type MemoryConfig = Pick<
  AppConfig,
  | 'REDIS_URL'
  | 'MEMORY_SHORT_TTL_SECONDS'
  | 'MEMORY_SHORT_MAX_TURNS'
  | 'MEMORY_TURN_RETENTION_HOURS'
  | 'MEMORY_SUMMARY_RETENTION_DAYS'
  | 'MEMORY_LONG_TTL_DAYS'
  | 'MEMORY_CONTEXT_BUDGET_TOKENS'
  | 'MEMORY_TIER_DEADLINE_MS'
  | 'MEMORY_REDACT_IPS'
  | 'MEMORY_IMPLICIT_PREFERENCE_THRESHOLD'
  | 'VECTOR_STORE'
  | 'QDRANT_URL'
  | 'QDRANT_API_KEY'
  | 'QDRANT_COLLECTION'
  | 'EMBEDDER'
  | 'EMBEDDING_DIM'
  | 'EMBEDDER_MODEL_PATH'
  | 'EMBEDDER_API_URL'
  | 'EMBEDDER_API_KEY'
  | 'EMBEDDER_API_MODEL'
>;

export interface MemoryRuntime {
  service: MemoryService;
  close(): Promise<void>;
}

/**
 * Builds every tier from configuration on an already-migrated database (the medium-term tables
 * come with the shared migrations). The caller owns `close()`; the database stays the caller's.
 */
export interface OpenMemoryOptions {
  /** Compression of old turns; extractive when absent (chat/chatWiring builds an LLM one when a provider is configured). */
  summariser?: Summariser;
}

export async function openMemory(config: MemoryConfig, db: Database, logger?: DbLogger, now?: () => number, options: OpenMemoryOptions = {}): Promise<MemoryRuntime> {
  const shortOptions = { ttlSeconds: config.MEMORY_SHORT_TTL_SECONDS, maxTurns: config.MEMORY_SHORT_MAX_TURNS };
  const short: ShortTermStore = config.REDIS_URL ? await RedisShortTermStore.connect(config.REDIS_URL, shortOptions) : new InProcessShortTermStore(shortOptions, now);
  let vectors: VectorStore | undefined;
  try {
    const embedder = await createEmbedder(config);
    vectors = await createVectorStore(config, db, embedder.dimension, logger, now);
    const service = new MemoryService(
      {
        short,
        sessions: new SessionRepository(db, { turnsMs: config.MEMORY_TURN_RETENTION_HOURS * 3_600_000, summariesMs: config.MEMORY_SUMMARY_RETENTION_DAYS * 86_400_000 }, now),
        records: new MemoryRecordRepository(db, now),
        choices: new ChoiceRepository(db),
        vectors,
        embedder,
        redactor: new Redactor({ redactIps: config.MEMORY_REDACT_IPS }),
        ...(options.summariser ? { summariser: options.summariser } : {}),
        ...(logger ? { logger } : {}),
        ...(now ? { now } : {}),
      },
      {
        longTermTtlMs: config.MEMORY_LONG_TTL_DAYS * 86_400_000,
        defaultBudgetTokens: config.MEMORY_CONTEXT_BUDGET_TOKENS,
        implicitPreferenceThreshold: config.MEMORY_IMPLICIT_PREFERENCE_THRESHOLD,
        tierDeadlineMs: config.MEMORY_TIER_DEADLINE_MS,
        maxTurns: config.MEMORY_SHORT_MAX_TURNS,
        keepVerbatimTurns: 4,
        memoryCandidates: 20,
      },
    );
    const store = vectors;
    logger?.info({ memory: service.backends, summariser: options.summariser?.kind ?? 'extractive' }, 'memory ready');
    return {
      service,
      async close() {
        await short.close();
        await store.close();
      },
    };
  } catch (err) {
    await short.close().catch(() => undefined);
    await vectors?.close().catch(() => undefined);
    throw err;
  }
}
