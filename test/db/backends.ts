import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { Client } from 'pg';
import type { Database } from '../../db/database';
import { migrate } from '../../db/migrate';
import { PgliteDatabase } from '../../db/pgliteDatabase';
import { PostgresDatabase, type PostgresDatabaseOptions } from '../../db/postgresDatabase';

/**
 * Test helpers shared by the db suites. Each call makes a brand-new database (a fresh
 * `t_<random>` on the real Postgres from globalSetup, or an in-memory PGlite), so test files
 * and tests never see each other's rows.
 */
export type BackendKind = Database['kind'];
export const BACKENDS: BackendKind[] = ['postgres', 'pglite'];

export interface TestDatabase {
  db: Database;
  /** Postgres only: the connection string of this fresh database. */
  url?: string;
  /** Closes the handle and drops the database. */
  dispose(): Promise<void>;
}

function adminUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set: run through jest (test/support/globalSetup.ts)');
  return url;
}

async function admin<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates an empty database on the test server; `drop` force-disconnects and removes it. */
export async function createScratchPostgres(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`create database ${name}`));
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => admin((c) => c.query(`drop database if exists ${name} with (force)`)).then(() => undefined),
  };
}

let template: Promise<File | Blob> | undefined;

/** initdb costs seconds per PGlite; loading a dump of a fresh one takes well under one. */
function pgliteTemplate(): Promise<File | Blob> {
  template ??= (async () => {
    const pg = await PGlite.create();
    try {
      return await pg.dumpDataDir('none');
    } finally {
      await pg.close();
    }
  })();
  return template;
}

export async function openTestDatabase(kind: BackendKind, options: { migrate?: boolean; postgres?: Partial<PostgresDatabaseOptions> } = {}): Promise<TestDatabase> {
  let result: TestDatabase;
  if (kind === 'postgres') {
    const { url, drop } = await createScratchPostgres();
    const db = new PostgresDatabase({ connectionString: url, poolSize: 10, ...options.postgres });
    result = {
      db,
      url,
      async dispose() {
        await db.close();
        await drop();
      },
    };
  } else {
    const db = new PgliteDatabase(await PGlite.create({ loadDataDir: await pgliteTemplate() }));
    result = { db, dispose: () => db.close() };
  }
  if (options.migrate !== false) await migrate(result.db);
  return result;
}

/** Polls `check` until it returns true; fails with `what` after `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
