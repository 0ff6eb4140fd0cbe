import { Client } from 'pg';
import { redactDatabaseUrl, type DbLogger } from '../../db/database';
import { EventFanout } from '../../db/eventFanout';
import { SqlEventStore } from '../../db/eventStore';
import { migrate } from '../../db/migrate';
import { createPostgresDatabase, PostgresDatabase } from '../../db/postgresDatabase';
import { createScratchPostgres, sleep, waitFor } from './backends';

/** Postgres-only behaviour: losing connections, and keeping passwords out of logs. */
function recordingLogger(): DbLogger & { lines: string[] } {
  const lines: string[] = [];
  const log = (obj: object, msg: string) => lines.push(`${msg} ${JSON.stringify(obj)}`);
  return { lines, debug: log, info: log, warn: log, error: log };
}

describe('PostgresDatabase connection loss', () => {
  let url: string;
  let drop: () => Promise<void>;
  let dbName: string;
  let admin: Client;
  beforeAll(async () => {
    ({ url, drop } = await createScratchPostgres());
    dbName = new URL(url).pathname.slice(1);
    // Connected to the server's maintenance database, so it can lock ours.
    admin = new Client({ connectionString: process.env.TEST_DATABASE_URL });
    await admin.connect();
  });
  afterAll(async () => {
    await admin.end();
    await drop();
  });

  const terminate = (appName: string): Promise<number> =>
    admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and application_name = $2', [dbName, appName]).then((r) => r.rowCount ?? 0);

  it('re-LISTENs after the LISTEN backend is terminated, fires onReconnect, and events keep arriving', async () => {
    const logger = recordingLogger();
    const db = new PostgresDatabase({ connectionString: url, logger, reconnectInitialDelayMs: 20, reconnectMaxDelayMs: 200 });
    await migrate(db);
    const store = new SqlEventStore(db);
    const fanout = new EventFanout(store, { pollIntervalMs: 60_000 });
    let reconnects = 0;
    const unregister = db.onReconnect(() => reconnects++);
    const got: number[] = [];
    const append = (k: number) => store.append('run-reconnect', [{ type: 'step.log', dedupeKey: `k${k}`, data: { k } }]);
    try {
      fanout.subscribe('run-reconnect', 0, (e) => got.push(e.seq));
      await append(1);
      await waitFor(() => got.length === 1, 'event 1 via NOTIFY');

      expect(await terminate('copilot-listen')).toBe(1);
      // Appended while the LISTEN connection is down: its NOTIFY is lost; the reconnect re-read finds it.
      await append(2);
      await waitFor(() => reconnects === 1, 'the onReconnect callback');
      await waitFor(() => got.length === 2, 'event 2 after the reconnect');

      // And NOTIFY works again on the new connection (the poll is a minute away).
      await append(3);
      await waitFor(() => got.length === 3, 'event 3 via NOTIFY on the new connection');
      expect(got).toEqual([1, 2, 3]);
      expect(logger.lines.some((l) => l.startsWith('postgres LISTEN connection lost'))).toBe(true);
    } finally {
      unregister();
      await fanout.close();
      await db.close();
    }
  });

  it('keeps retrying with backoff while the server refuses, then recovers', async () => {
    const db = new PostgresDatabase({ connectionString: url, reconnectInitialDelayMs: 20, reconnectMaxDelayMs: 100 });
    const got: string[] = [];
    let reconnects = 0;
    db.onReconnect(() => reconnects++);
    try {
      await db.listen('retry_channel', (p) => got.push(p));
      // Refuse new connections to this database for a while, then kill the listener.
      await admin.query(`alter database ${dbName} allow_connections false`);
      await terminate('copilot-listen');
      await sleep(300); // several failed attempts
      expect(reconnects).toBe(0);
      await admin.query(`alter database ${dbName} allow_connections true`);
      await waitFor(() => reconnects === 1, 'reconnect once the server accepts again');
      await db.query("select pg_notify('retry_channel', 'back')");
      await waitFor(() => got.includes('back'), 'notification on the new connection');
    } finally {
      await admin.query(`alter database ${dbName} allow_connections true`);
      await db.close();
    }
  });

  it('survives idle pool connections being killed (pool error event) and keeps serving queries', async () => {
    const logger = recordingLogger();
    const db = new PostgresDatabase({ connectionString: url, poolSize: 4, logger });
    try {
      await Promise.all([1, 2, 3, 4].map(() => db.query('select pg_sleep(0.05)')));
      const killed = await terminate('copilot');
      expect(killed).toBe(4);
      const poolErrors = () => logger.lines.filter((l) => l.startsWith('idle postgres connection failed')).length;
      await waitFor(() => poolErrors() === killed, 'every pool error logged (and handled)');
      await expect(db.query<{ ok: number }>('select 1 as ok')).resolves.toEqual([{ ok: 1 }]);
    } finally {
      await db.close();
    }
  });
});

describe('Postgres credentials stay out of logs and errors', () => {
  it('redacts the password of a connection string', () => {
    expect(redactDatabaseUrl('postgres://app:s3cret@db.internal:5432/copilot?sslmode=require')).toBe('postgres://app:***@db.internal:5432/copilot?sslmode=require');
    expect(redactDatabaseUrl('postgres://app@db/x?password=s3cret')).not.toContain('s3cret');
    expect(redactDatabaseUrl('not a url s3cret')).not.toContain('s3cret');
  });

  it('reports an unreachable server without the password', async () => {
    const logger = recordingLogger();
    const attempt = createPostgresDatabase({ connectionString: 'postgres://app:s3cret@127.0.0.1:1/copilot', logger });
    await expect(attempt).rejects.toThrow(/cannot connect to postgres at postgres:\/\/app:\*\*\*@127\.0\.0\.1:1\/copilot/);
    await attempt.catch((err: Error) => expect(err.message).not.toContain('s3cret'));
    expect(logger.lines.join('\n')).not.toContain('s3cret');
  });
});
