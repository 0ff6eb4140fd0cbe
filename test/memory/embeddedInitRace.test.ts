import { openDatabase } from '../../db/openDatabase';
import { EmbeddedVectorStore } from '../../memory/vector/embeddedVectorStore';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase';

/**
 * An API and a worker starting together on a fresh Postgres both create the embedded vector
 * table. `create table if not exists` alone races between sessions (duplicate pg_type row) and
 * killed one of the two processes; the creation now holds a lock. Several processes' worth of
 * connections, each initialising fresh tables at the same moment, must all succeed.
 */
let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase('vinit');
});
afterAll(async () => {
  await t?.drop();
});

test('concurrent init() from separate connections creates each table once, without errors', async () => {
  const dbs = await Promise.all(Array.from({ length: 4 }, () => openDatabase({ databaseUrl: t.url, dataDir: '/nonexistent' })));
  try {
    for (let round = 0; round < 5; round++) {
      const table = `race_vectors_${round}`;
      await Promise.all(dbs.map((db) => new EmbeddedVectorStore(db, { dimension: 8, table }).init()));
      const [row] = await dbs[0]!.query<{ n: string }>('select count(*)::text as n from pg_class where relname = $1', [table]);
      expect(row?.n).toBe('1');
    }
  } finally {
    await Promise.all(dbs.map((db) => db.close()));
  }
});
