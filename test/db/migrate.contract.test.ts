/** @jest-environment ./test/db/pgliteEnvironment.ts */
import { migrate } from '../../db/migrate';
import { MIGRATIONS, type Migration } from '../../db/migrations';
import { PostgresDatabase } from '../../db/postgresDatabase';
import { BACKENDS, createScratchPostgres, openTestDatabase, type TestDatabase } from './backends';

// PGlite cannot boot inside Jest's sandbox: use the copy loaded by the environment (see pgliteEnvironment.ts).
jest.mock('@electric-sql/pglite', () => (globalThis as Record<string, unknown>).__hostPglite);

const latest = MIGRATIONS.at(-1)?.version ?? 0;
const extra = (version: number, sql: string): Migration => ({ version, name: `test_${version}`, sql });

describe.each(BACKENDS)('migrate (%s)', (kind) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await openTestDatabase(kind, { migrate: false });
  });
  afterEach(async () => {
    await t.dispose();
  });

  it('applies every migration once, and a second run is a no-op', async () => {
    expect(await migrate(t.db)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(await migrate(t.db)).toEqual([]);
    const rows = await t.db.query<{ version: number; name: string; applied_at: unknown }>('select version, name, applied_at from schema_migrations order by version');
    expect(rows.map((r) => [r.version, r.name])).toEqual(MIGRATIONS.map((m) => [m.version, m.name]));
    expect(rows.every((r) => r.applied_at !== null)).toBe(true);
  });

  it('creates run_events with its keys', async () => {
    await migrate(t.db);
    const insert = (seq: number, key: string) => t.db.query(`insert into run_events (stream_id, seq, type, data, dedupe_key) values ('s', $1, 't', '{}', $2)`, [seq, key]);
    await insert(1, 'a');
    await expect(insert(1, 'b')).rejects.toThrow(/duplicate key|unique/i); // primary key (stream_id, seq)
    await expect(insert(2, 'a')).rejects.toThrow(/duplicate key|unique/i); // unique (stream_id, dedupe_key)
    const recent = await t.db.query("select created_at > now() - interval '1 minute' as ok from run_events");
    expect(recent).toEqual([{ ok: true }]); // created_at defaulted by the database
  });

  it('applies only migrations appended since the last run', async () => {
    await migrate(t.db);
    const more = [...MIGRATIONS, extra(latest + 1, 'create table later_one (id int)')];
    expect(await migrate(t.db, { migrations: more })).toEqual([latest + 1]);
    expect(await migrate(t.db, { migrations: more })).toEqual([]);
    expect(await t.db.query('select count(*)::int as n from later_one')).toEqual([{ n: 0 }]);
  });

  it('rolls back a failing migration completely and stops there', async () => {
    await migrate(t.db);
    const broken = [...MIGRATIONS, extra(latest + 1, 'create table half_done (id int); select * from no_such_table;'), extra(latest + 2, 'create table never_reached (id int)')];
    await expect(migrate(t.db, { migrations: broken })).rejects.toThrow(/no_such_table/);
    const tables = await t.db.query<{ n: number }>("select count(*)::int as n from pg_tables where tablename in ('half_done', 'never_reached')");
    expect(tables).toEqual([{ n: 0 }]);
    const [max] = await t.db.query<{ v: number }>('select max(version) as v from schema_migrations');
    expect(max?.v).toBe(latest);
  });

  it('rejects a migration list that is not strictly ascending', async () => {
    const bad = [extra(2, 'select 1'), extra(1, 'select 1')];
    await expect(migrate(t.db, { migrations: bad })).rejects.toThrow(/ascending/);
  });
});

describe('migrate (postgres, concurrent replicas)', () => {
  it('lets 6 processes migrate one fresh database at once, applying each migration exactly once', async () => {
    const { url, drop } = await createScratchPostgres();
    const replicas = Array.from({ length: 6 }, () => new PostgresDatabase({ connectionString: url, poolSize: 2 }));
    try {
      // Not IF NOT EXISTS: without the lock a second application would fail loudly.
      const migrations = [
        ...MIGRATIONS,
        extra(latest + 1, 'create table race_a (id int); insert into race_a values (1)'),
        extra(latest + 2, 'insert into race_a select max(id) + 1 from race_a'),
      ];
      const results = await Promise.all(replicas.map((db) => migrate(db, { migrations })));
      const applied = results.flat().sort((a, b) => a - b);
      expect(applied).toEqual(migrations.map((m) => m.version));
      const [db] = replicas;
      expect(await db?.query('select id from race_a order by id')).toEqual([{ id: 1 }, { id: 2 }]);
      expect(await db?.query('select count(*)::int as n from schema_migrations')).toEqual([{ n: migrations.length }]);
    } finally {
      await Promise.all(replicas.map((db) => db.close()));
      await drop();
    }
  });
});
