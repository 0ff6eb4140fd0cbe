import path from 'node:path';
import { z } from 'zod';
import type { Database, DbLogger } from './database';
import { migrate } from './migrate';
import { createPostgresDatabase } from './postgresDatabase';

const OpenOptions = z.object({
  databaseUrl: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  dataDir: z.string().min(1),
  poolSize: z.number().int().positive().optional(),
});

export interface OpenDatabaseOptions {
  /** Set: Postgres (production, any number of replicas). Unset: embedded PGlite (one process). */
  databaseUrl?: string;
  /** PGlite lives in `<dataDir>/pglite`. */
  dataDir: string;
  poolSize?: number;
  logger?: DbLogger;
}

/** Opens the configured backend and migrates it; the caller owns `close()`. */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  const { databaseUrl, dataDir, poolSize } = OpenOptions.parse({
    databaseUrl: options.databaseUrl,
    dataDir: options.dataDir,
    poolSize: options.poolSize,
  });
  const db: Database = databaseUrl
    ? await createPostgresDatabase({ connectionString: databaseUrl, poolSize, logger: options.logger })
    : // PGlite (a WebAssembly Postgres) loads only when there is no DATABASE_URL (issue #16, idle RSS).
      await (await import('./pgliteDatabase')).PgliteDatabase.open({ dataDir: path.join(dataDir, 'pglite'), logger: options.logger });
  try {
    await migrate(db, { logger: options.logger });
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  return db;
}
