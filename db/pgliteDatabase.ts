import { mkdirSync } from 'node:fs';
import { PGlite, type PGliteOptions, type Transaction } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { assertChannelName, callSafely, silentLogger, type Database, type DbLogger, type Queryable } from './database';
import { sanitizeParams } from './sanitize';

export interface PgliteDatabaseOptions {
  /** Directory for the database files; omitted: in-memory (tests). */
  dataDir?: string;
  logger?: DbLogger;
}

/**
 * Extensions registered on every PGlite this module creates: pgvector (`vector`), for the
 * long-term memory store. Registering only makes it available (`pg_available_extensions`); the
 * vector store runs `create extension if not exists vector` at its start-up, not the shared
 * migrations (they must also run on a Postgres server without it).
 */
export const PGLITE_EXTENSIONS = { vector } satisfies NonNullable<PGliteOptions['extensions']>;

function queryable(target: PGlite | Transaction): Queryable {
  return {
    async query<T>(sql: string, params?: readonly unknown[]): Promise<T[]> {
      // Every bound string passes sanitizeParams: a NUL would fail the statement for good.
      const result = await target.query<T>(sql, sanitizeParams(params));
      return result.rows;
    },
    async exec(sql: string): Promise<void> {
      await target.exec(sql);
    },
  };
}

/**
 * Embedded Postgres (WASM) for development: no server to run, one process only. PGlite is a single
 * connection; its `transaction` holds a mutex that also makes plain queries wait, so concurrent
 * callers are serialised rather than interleaved inside each other's transactions.
 */
export class PgliteDatabase implements Database {
  readonly kind = 'pglite' as const;
  private readonly logger: DbLogger;
  private closing: Promise<void> | undefined;

  /** Wraps an already-open PGlite; `open()` is the usual way in. The wrapper owns it from now on. */
  constructor(
    private readonly pg: PGlite,
    options: Pick<PgliteDatabaseOptions, 'logger'> = {},
  ) {
    this.logger = options.logger ?? silentLogger;
  }

  static async open(options: PgliteDatabaseOptions = {}): Promise<PgliteDatabase> {
    if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
    const pg = new PGlite({ ...(options.dataDir ? { dataDir: options.dataDir } : {}), extensions: PGLITE_EXTENSIONS });
    await pg.waitReady;
    return new PgliteDatabase(pg, options);
  }

  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    return queryable(this.pg).query<T>(sql, params);
  }

  exec(sql: string): Promise<void> {
    return queryable(this.pg).exec(sql);
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.pg.transaction((tx) => fn(queryable(tx)));
  }

  async listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>> {
    assertChannelName(channel);
    // PGlite invokes callbacks from queueMicrotask: a throw there would be an uncaught exception.
    const unlisten = await this.pg.listen(channel, (payload) => callSafely(this.logger, 'LISTEN callback', () => onPayload(payload)));
    let done = false;
    return async () => {
      if (done || this.pg.closed) return;
      done = true;
      await unlisten();
    };
  }

  /** In-process: there is no connection to lose. */
  onReconnect(): () => void {
    return () => undefined;
  }

  async ping(): Promise<void> {
    await this.pg.query('select 1');
  }

  close(): Promise<void> {
    // PGlite rejects a second close() issued while the first is still running.
    this.closing ??= this.pg.closed ? Promise.resolve() : this.pg.close();
    return this.closing;
  }
}
