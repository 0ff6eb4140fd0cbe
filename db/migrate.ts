import { z } from 'zod';
import { silentLogger, type Database, type DbLogger } from './database';
import { MIGRATIONS, type Migration } from './migrations';

/**
 * Every migrator takes this lock first, so N replicas starting together apply each migration
 * exactly once. An arbitrary constant ("copilot" in ASCII); it shares the bigint advisory-lock key
 * space with the event store's per-stream hashes, where a collision would only cost a short wait.
 */
export const MIGRATION_LOCK_KEY = 0x636f70696c6f74n;

const MigrationList = z
  .array(z.object({ version: z.number().int().positive(), name: z.string().min(1), sql: z.string().min(1) }))
  .refine((list) => list.every((m, i) => i === 0 || m.version > (list[i - 1]?.version ?? 0)), {
    message: 'migration versions must be unique and ascending',
  });

export interface MigrateOptions {
  migrations?: readonly Migration[];
  logger?: DbLogger;
}

/**
 * Brings the schema up to date; safe to call on every start and from many processes at once.
 *
 * Each migration runs in its own transaction that first takes `pg_advisory_xact_lock` on
 * MIGRATION_LOCK_KEY, re-checks `schema_migrations`, applies and records the migration, and
 * commits (releasing the lock). A transaction-scoped lock rather than a session-level
 * `pg_advisory_lock` because the Database interface hands out pooled connections: a session lock
 * would need a pinned connection (and breaks behind a transaction-pooling PgBouncer), while the
 * xact lock gives the same mutual exclusion and cannot be leaked.
 *
 * Returns the versions this call applied.
 */
export async function migrate(db: Database, options: MigrateOptions = {}): Promise<number[]> {
  const migrations = MigrationList.parse(options.migrations ?? MIGRATIONS);
  const logger = options.logger ?? silentLogger;
  const lock = `select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY.toString()})`;

  // `create table if not exists` itself races between sessions (duplicate pg_type row): lock it too.
  await db.transaction(async (tx) => {
    await tx.query(lock);
    await tx.exec(`
      create table if not exists schema_migrations (
        version    int primary key,
        name       text not null,
        applied_at timestamptz not null default now()
      )`);
  });

  const applied: number[] = [];
  for (const migration of migrations) {
    const didApply = await db.transaction(async (tx) => {
      await tx.query(lock);
      const done = await tx.query('select 1 from schema_migrations where version = $1', [migration.version]);
      if (done.length > 0) return false;
      await tx.exec(migration.sql);
      await tx.query('insert into schema_migrations (version, name) values ($1, $2)', [migration.version, migration.name]);
      return true;
    });
    if (didApply) {
      applied.push(migration.version);
      logger.info({ version: migration.version, name: migration.name }, 'applied migration');
    }
  }

  const known = migrations.at(-1)?.version ?? 0;
  const [newest] = await db.query<{ version: number | null }>('select max(version) as version from schema_migrations');
  if ((newest?.version ?? 0) > known) {
    // A newer release already migrated this database (rolling deploy); old code must tolerate it.
    logger.warn({ databaseVersion: newest?.version, codeVersion: known }, 'database schema is newer than this build');
  }
  return applied;
}
