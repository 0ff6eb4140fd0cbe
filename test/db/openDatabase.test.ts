/** @jest-environment ./test/db/pgliteEnvironment.ts */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Database } from '../../db/database';
import { SqlEventStore } from '../../db/eventStore';
import { MIGRATIONS } from '../../db/migrations';
import { openDatabase } from '../../db/openDatabase';
import { createScratchPostgres, openTestDatabase, sleep } from './backends';

// PGlite cannot boot inside Jest's sandbox: use the copy loaded by the environment (see pgliteEnvironment.ts).
jest.mock('@electric-sql/pglite', () => (globalThis as Record<string, unknown>).__hostPglite);

const repoRoot = path.resolve(__dirname, '../..');
const versions = async (db: Database) => (await db.query<{ version: number }>('select version from schema_migrations order by version')).map((r) => r.version);

describe('openDatabase', () => {
  const dirs: string[] = [];
  const tmp = (): string => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'copilot-db-test-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('without a URL: file-backed PGlite under <dataDir>/pglite, migrated, and persistent across reopen', async () => {
    const dataDir = path.join(tmp(), 'nested', 'data'); // parents do not exist yet
    const db = await openDatabase({ dataDir });
    expect(db.kind).toBe('pglite');
    expect(existsSync(path.join(dataDir, 'pglite', 'PG_VERSION'))).toBe(true);
    expect(await versions(db)).toEqual(MIGRATIONS.map((m) => m.version));
    await new SqlEventStore(db).append('run-1', [{ type: 'run.started', dedupeKey: 'run-1/started', data: { a: 1 } }]);
    await db.close();

    const again = await openDatabase({ dataDir });
    try {
      const events = await new SqlEventStore(again).list('run-1', 0);
      expect(events.map((e) => [e.seq, e.type, e.data])).toEqual([[1, 'run.started', { a: 1 }]]);
      expect(await versions(again)).toEqual(MIGRATIONS.map((m) => m.version));
    } finally {
      await again.close();
    }
  });

  it('with a URL: Postgres, migrated, and no PGlite directory', async () => {
    const { url, drop } = await createScratchPostgres();
    const dataDir = tmp();
    const db = await openDatabase({ databaseUrl: url, dataDir, poolSize: 3 });
    try {
      expect(db.kind).toBe('postgres');
      expect(await versions(db)).toEqual(MIGRATIONS.map((m) => m.version));
      expect(existsSync(path.join(dataDir, 'pglite'))).toBe(false);
    } finally {
      await db.close();
      await drop();
    }
  });

  it('rejects a non-postgres URL without echoing it', async () => {
    const attempt = openDatabase({ databaseUrl: 'mysql://app:s3cret@db/x', dataDir: tmp() });
    await expect(attempt).rejects.toThrow(/postgres:\/\//);
    await attempt.catch((err: Error) => expect(err.message).not.toContain('s3cret'));
  });

  it('works outside Jest too: a plain Node process opens, appends to and reopens PGlite', async () => {
    // Everything else here runs PGlite through the test environment's shim; prove the real path.
    const dir = tmp();
    const script = path.join(dir, 'probe.ts');
    writeFileSync(
      script,
      `import { openDatabase } from ${JSON.stringify(path.join(repoRoot, 'db/openDatabase'))};
       import { SqlEventStore } from ${JSON.stringify(path.join(repoRoot, 'db/eventStore'))};
       (async () => {
         for (const key of ['a', 'b']) {
           const db = await openDatabase({ dataDir: ${JSON.stringify(dir)} });
           await new SqlEventStore(db).append('run-x', [{ type: 'step.log', dedupeKey: key, data: {} }]);
           console.log(JSON.stringify((await new SqlEventStore(db).list('run-x', 0)).map((e) => e.seq)));
           await db.close();
         }
       })().catch((err) => { console.error(err); process.exit(1); });`,
    );
    const { stdout } = await promisify(execFile)(path.join(repoRoot, 'node_modules/.bin/tsx'), [script], { cwd: repoRoot, timeout: 60_000 });
    expect(stdout.trim().split('\n')).toEqual(['[1]', '[1,2]']);
  });
});

describe('PgliteDatabase on its single connection', () => {
  it('runs concurrent transactions one at a time, and holds plain queries until the open one ends', async () => {
    const t = await openTestDatabase('pglite', { migrate: false });
    try {
      await t.db.exec('create table log (id serial primary key, what text)');
      const trace: string[] = [];
      let outsider: Promise<{ n: number }[]> | undefined;
      const txs = Array.from({ length: 8 }, (_, i) =>
        t.db.transaction(async (tx) => {
          trace.push(`begin ${i}`);
          await tx.query('insert into log (what) values ($1)', [`tx ${i} a`]);
          // Issued mid-transaction and not awaited: if it reached the connection now it would run
          // inside this transaction and count its first, uncommitted row.
          if (i === 0) outsider = t.db.query<{ n: number }>('select count(*)::int as n from log');
          await sleep(5);
          await tx.query('insert into log (what) values ($1)', [`tx ${i} b`]);
          trace.push(`end ${i}`);
        }),
      );
      const failing = t.db.transaction(async (tx) => {
        await tx.query("insert into log (what) values ('rolled back')");
        throw new Error('abort');
      });
      await Promise.all(txs);
      await expect(failing).rejects.toThrow('abort');
      expect(trace).toHaveLength(16);
      for (let i = 0; i < trace.length; i += 2) {
        expect(trace[i]?.replace('begin', '')).toBe(trace[i + 1]?.replace('end', '')); // never interleaved
      }
      const [seen] = (await outsider) ?? [];
      expect((seen?.n ?? 1) % 2).toBe(0); // whole transactions only
      expect(await t.db.query('select what from log order by id')).toHaveLength(16);
    } finally {
      await t.dispose();
    }
  });
});
