import { Client, Pool, escapeIdentifier, type PoolClient } from 'pg';
import { assertChannelName, callSafely, redactDatabaseUrl, silentLogger, type Database, type DbLogger, type Queryable } from './database';
import { sanitizeParams } from './sanitize';

export interface PostgresDatabaseOptions {
  connectionString: string;
  /** Max pooled connections per process (the LISTEN connection comes on top). */
  poolSize?: number;
  logger?: DbLogger;
  /** First delay before re-connecting the LISTEN connection; doubles per failed attempt. */
  reconnectInitialDelayMs?: number;
  reconnectMaxDelayMs?: number;
}

function queryable(client: Pool | PoolClient): Queryable {
  return {
    async query<T>(sql: string, params?: readonly unknown[]): Promise<T[]> {
      // Every bound string passes sanitizeParams: a NUL would fail the statement for good.
      const result = await client.query(sql, sanitizeParams(params));
      return result.rows as T[];
    },
    async exec(sql: string): Promise<void> {
      // Without parameters pg uses the simple protocol, which accepts several statements.
      await client.query(sql);
    },
  };
}

/**
 * Postgres over a `pg.Pool` for queries plus ONE dedicated client for LISTEN, shared by every
 * listener in the process (a LISTEN pins its connection, so pooling them would leak connections).
 * When that client dies it is re-created with capped exponential backoff, every channel is
 * re-LISTENed and `onReconnect` callbacks fire so subscribers re-read what they may have missed.
 */
export class PostgresDatabase implements Database {
  readonly kind = 'postgres' as const;
  private readonly pool: Pool;
  private readonly logger: DbLogger;
  private readonly target: string;
  private readonly channels = new Map<string, Set<(payload: string) => void>>();
  private readonly reconnectCallbacks = new Set<() => void>();
  private listenClient: Client | undefined;
  private reconnecting = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private wakeReconnect: (() => void) | undefined;
  /** Serialises connect / LISTEN / UNLISTEN so a reconnect never misses a channel added meanwhile. */
  private listenOps: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly options: PostgresDatabaseOptions) {
    this.logger = options.logger ?? silentLogger;
    this.target = redactDatabaseUrl(options.connectionString);
    this.pool = new Pool({
      connectionString: options.connectionString,
      max: options.poolSize ?? 10,
      application_name: 'copilot',
    });
    // An idle pooled client whose backend dies emits here; unhandled, it would crash the process.
    this.pool.on('error', (err) => this.logger.warn({ err: err.message, db: this.target }, 'idle postgres connection failed'));
  }

  async query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    return queryable(this.pool).query<T>(sql, params);
  }

  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await fn(queryable(client));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true; // never hand a connection in an unknown state back to the pool
      }
      throw err;
    } finally {
      client.release(broken);
    }
  }

  async listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>> {
    assertChannelName(channel);
    if (this.closed) throw new Error('database is closed');
    let callbacks = this.channels.get(channel);
    const isNew = !callbacks;
    if (!callbacks) {
      callbacks = new Set();
      this.channels.set(channel, callbacks);
    }
    callbacks.add(onPayload);
    if (isNew) {
      try {
        await this.serial(async () => {
          if (this.listenClient) await this.listenClient.query(`LISTEN ${escapeIdentifier(channel)}`);
          else if (!this.reconnecting) await this.connectListener(); // LISTENs every channel, this one included
          // while reconnecting, the reconnect loop re-LISTENs every channel in the map
        });
      } catch (err) {
        // A connection lost mid-LISTEN is the reconnect loop's job; anything else is the caller's.
        if (!this.reconnecting) {
          this.removeCallback(channel, onPayload);
          throw err;
        }
      }
    }
    return async () => {
      if (this.removeCallback(channel, onPayload) && this.listenClient) {
        await this.serial(async () => {
          await this.listenClient?.query(`UNLISTEN ${escapeIdentifier(channel)}`).catch(() => undefined);
        });
      }
    };
  }

  onReconnect(cb: () => void): () => void {
    this.reconnectCallbacks.add(cb);
    return () => void this.reconnectCallbacks.delete(cb);
  }

  async ping(): Promise<void> {
    await this.pool.query('select 1');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.wakeReconnect?.();
    const client = this.listenClient;
    this.listenClient = undefined;
    await this.listenOps.catch(() => undefined);
    await client?.end().catch(() => undefined);
    await this.pool.end();
  }

  /** True when the channel has no callbacks left (and was removed). */
  private removeCallback(channel: string, onPayload: (payload: string) => void): boolean {
    const callbacks = this.channels.get(channel);
    if (!callbacks) return false;
    callbacks.delete(onPayload);
    if (callbacks.size > 0) return false;
    this.channels.delete(channel);
    return true;
  }

  private serial<T>(op: () => Promise<T>): Promise<T> {
    const next = this.listenOps.then(op, op);
    this.listenOps = next.catch(() => undefined);
    return next;
  }

  /** Connects a fresh LISTEN client and subscribes it to every known channel. */
  private async connectListener(): Promise<void> {
    const client = new Client({
      connectionString: this.options.connectionString,
      application_name: 'copilot-listen',
      keepAlive: true, // notice a silently dead peer instead of waiting forever for notifications
    });
    // Registered before connect: a pg Client with no 'error' listener crashes the process.
    client.on('error', (err) => this.onListenerLost(client, err));
    client.on('end', () => this.onListenerLost(client));
    client.on('notification', (msg) => {
      for (const cb of [...(this.channels.get(msg.channel) ?? [])]) {
        callSafely(this.logger, 'LISTEN callback', () => cb(msg.payload ?? ''));
      }
    });
    try {
      await client.connect();
      for (const channel of this.channels.keys()) await client.query(`LISTEN ${escapeIdentifier(channel)}`);
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.listenClient = client;
  }

  private onListenerLost(client: Client, err?: Error): void {
    if (client !== this.listenClient) return; // an old client's late events, or our own close()
    this.listenClient = undefined;
    client.end().catch(() => undefined);
    if (this.closed) return;
    this.logger.warn({ err: err?.message, db: this.target }, 'postgres LISTEN connection lost; reconnecting');
    void this.reconnectLoop();
  }

  private async reconnectLoop(): Promise<void> {
    if (this.reconnecting) return;
    this.reconnecting = true;
    const initial = this.options.reconnectInitialDelayMs ?? 100;
    const max = this.options.reconnectMaxDelayMs ?? 10_000;
    try {
      for (let attempt = 0; !this.closed; attempt++) {
        // Jitter so replicas that lost the server together do not reconnect in lockstep.
        const delay = Math.min(max, initial * 2 ** attempt) * (0.5 + Math.random() / 2);
        await new Promise<void>((resolve) => {
          this.wakeReconnect = resolve;
          this.reconnectTimer = setTimeout(resolve, delay);
        });
        if (this.closed) return;
        try {
          await this.serial(() => this.connectListener());
        } catch (err) {
          this.logger.warn({ err: (err as Error).message, attempt, db: this.target }, 'postgres LISTEN reconnect failed');
          continue;
        }
        if (this.closed) return;
        this.logger.info({ db: this.target, attempt }, 'postgres LISTEN connection re-established');
        this.reconnecting = false;
        for (const cb of [...this.reconnectCallbacks]) callSafely(this.logger, 'onReconnect callback', cb);
        return;
      }
    } finally {
      this.reconnecting = false;
      this.wakeReconnect = undefined;
    }
  }
}

export async function createPostgresDatabase(options: PostgresDatabaseOptions): Promise<PostgresDatabase> {
  const db = new PostgresDatabase(options);
  try {
    await db.ping();
  } catch (err) {
    await db.close();
    throw new Error(`cannot connect to postgres at ${redactDatabaseUrl(options.connectionString)}: ${(err as Error).message}`);
  }
  return db;
}
