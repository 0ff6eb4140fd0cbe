/** @jest-environment ./test/db/pgliteEnvironment.ts */
import { BACKENDS, openTestDatabase, sleep, waitFor, type TestDatabase } from './backends';

// PGlite cannot boot inside Jest's sandbox: use the copy loaded by the environment (see pgliteEnvironment.ts).
jest.mock('@electric-sql/pglite', () => (globalThis as Record<string, unknown>).__hostPglite);

/** The Database interface behaves the same on Postgres and PGlite. */
describe.each(BACKENDS)('Database contract (%s)', (kind) => {
  let t: TestDatabase;

  beforeAll(async () => {
    t = await openTestDatabase(kind, { migrate: false });
    await t.db.exec('create table items (id int primary key, note text); create table counter (n int not null); insert into counter values (0)');
  });
  afterAll(async () => {
    await t.dispose();
  });

  it('reports its kind and answers ping', async () => {
    expect(t.db.kind).toBe(kind);
    await expect(t.db.ping()).resolves.toBeUndefined();
  });

  it('runs parameterised queries and returns rows', async () => {
    const rows = await t.db.query<{ a: number; b: string }>('select $1::int as a, $2::text as b', [7, 'x']);
    expect(rows).toEqual([{ a: 7, b: 'x' }]);
  });

  it('commits a transaction and returns its value', async () => {
    const value = await t.db.transaction(async (tx) => {
      await tx.query('insert into items values ($1, $2)', [1, 'one']);
      return 'done';
    });
    expect(value).toBe('done');
    expect(await t.db.query('select note from items where id = 1')).toEqual([{ note: 'one' }]);
  });

  it('rolls back when the callback throws, and rethrows', async () => {
    await expect(
      t.db.transaction(async (tx) => {
        await tx.query('insert into items values ($1, $2)', [2, 'two']);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await t.db.query('select * from items where id = 2')).toEqual([]);
    // The connection is usable afterwards (not left inside an aborted transaction).
    await expect(t.db.ping()).resolves.toBeUndefined();
  });

  it('keeps concurrent transactions isolated from each other', async () => {
    // Read-modify-write under `for update`: correct on Postgres via the row lock, and on PGlite
    // only if its single connection really serialises transactions instead of interleaving them.
    await Promise.all(
      Array.from({ length: 25 }, () =>
        t.db.transaction(async (tx) => {
          const [row] = await tx.query<{ n: number }>('select n from counter for update');
          await sleep(1); // give other callers every chance to interleave
          await tx.query('update counter set n = $1', [(row?.n ?? 0) + 1]);
        }),
      ),
    );
    expect(await t.db.query('select n from counter')).toEqual([{ n: 25 }]);
  });

  it('delivers NOTIFY to listeners only after commit, and unlisten stops delivery', async () => {
    const got: string[] = [];
    const unlisten = await t.db.listen('test_channel', (p) => got.push(p));
    let seenInsideTx = -1;
    await t.db.transaction(async (tx) => {
      await tx.query("select pg_notify('test_channel', 'in-tx')");
      await sleep(50);
      seenInsideTx = got.length;
    });
    await waitFor(() => got.length === 1, 'the committed notification');
    expect(seenInsideTx).toBe(0);
    expect(got).toEqual(['in-tx']);

    await expect(
      t.db.transaction(async (tx) => {
        await tx.query("select pg_notify('test_channel', 'rolled-back')");
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');

    await unlisten();
    await t.db.query("select pg_notify('test_channel', 'after-unlisten')");
    await sleep(100);
    expect(got).toEqual(['in-tx']);
  });

  it('keeps calling other listeners when one throws', async () => {
    const got: string[] = [];
    const un1 = await t.db.listen('test_throw', () => {
      throw new Error('listener bug');
    });
    const un2 = await t.db.listen('test_throw', (p) => got.push(p));
    await t.db.query("select pg_notify('test_throw', 'a')");
    await t.db.query("select pg_notify('test_throw', 'b')");
    await waitFor(() => got.length === 2, 'both notifications');
    expect(got).toEqual(['a', 'b']);
    await un1();
    await un2();
  });

  it('rejects channel names that would need quoting', async () => {
    await expect(t.db.listen('Bad Channel;', () => undefined)).rejects.toThrow(/invalid LISTEN channel/);
  });
});
