/**
 * The one database handle the whole app uses. Two implementations: Postgres over `pg`
 * (production, many replicas) and embedded PGlite (dev default, one process). Everything above
 * this interface is backend-agnostic SQL.
 */

/** Anything that can run a statement: the database itself or an open transaction. */
export interface Queryable {
  /** One statement, `$1..$n` parameters. Returns the rows. */
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** A parameterless script that may hold several statements (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** Runs `fn` in BEGIN/COMMIT on one connection; rolls back and rethrows if it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * LISTENs on `channel` (a lowercase SQL identifier). Notifications sent inside a transaction are
   * delivered after it commits. Returns an async unsubscribe.
   */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  /**
   * Called after the LISTEN connection was lost and re-established: notifications sent while it was
   * down are gone, so subscribers should re-read what they care about. Never fires on PGlite.
   * Returns an unregister function.
   */
  onReconnect(cb: () => void): () => void;
  /** Cheap round trip for readiness probes; rejects when the database is unreachable. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The subset of a pino logger the data layer uses (a pino Logger satisfies it). */
export interface DbLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const silentLogger: DbLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** Channel names are spliced into LISTEN/UNLISTEN, and PGlite does no quoting: keep them plain. */
const CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/;

export function assertChannelName(channel: string): void {
  if (!CHANNEL.test(channel)) {
    throw new Error(`invalid LISTEN channel ${JSON.stringify(channel)}: use a lowercase SQL identifier`);
  }
}

/** Calls `fn` and logs instead of throwing: one bad callback must not break a notification loop. */
export function callSafely(logger: DbLogger, what: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    logger.error({ err }, `${what} threw`);
  }
}

/** The connection string without its password, for logs and error messages. */
export function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    parsed.searchParams.delete('password');
    return parsed.toString();
  } catch {
    return '<unparseable database url>';
  }
}
