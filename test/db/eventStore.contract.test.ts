/** @jest-environment ./test/db/pgliteEnvironment.ts */
import type { NewEvent, StoredEvent } from '../../domain/events';
import { EventValidationError, MAX_EVENT_DATA_BYTES, SqlEventStore } from '../../db/eventStore';
import { PostgresDatabase } from '../../db/postgresDatabase';
import { BACKENDS, openTestDatabase, waitFor, type TestDatabase } from './backends';

// PGlite cannot boot inside Jest's sandbox: use the copy loaded by the environment (see pgliteEnvironment.ts).
jest.mock('@electric-sql/pglite', () => (globalThis as Record<string, unknown>).__hostPglite);

let streamCounter = 0;
const newStream = (): string => `run-${Date.now()}-${++streamCounter}`;
const ev = (key: string, data: Record<string, unknown> = {}, type = 'step.log'): NewEvent => ({ type, dedupeKey: key, data });
const seqs = (events: StoredEvent[]): number[] => events.map((e) => e.seq);

describe.each(BACKENDS)('SqlEventStore (%s)', (kind) => {
  let t: TestDatabase;
  let store: SqlEventStore;
  beforeAll(async () => {
    t = await openTestDatabase(kind);
    store = new SqlEventStore(t.db);
  });
  afterAll(async () => {
    await t.dispose();
  });

  it('appends with gapless seqs from 1 and lists them in order', async () => {
    const s = newStream();
    const first = await store.append(s, [ev('a', { n: 1 }, 'run.started'), ev('b', { n: 2 })]);
    const second = await store.append(s, [ev('c', { nested: { deep: [1, 'x', null] } })]);
    expect(seqs(first)).toEqual([1, 2]);
    expect(seqs(second)).toEqual([3]);
    expect(first[0]).toEqual({ streamId: s, seq: 1, type: 'run.started', data: { n: 1 }, createdAt: expect.any(String) });
    expect(new Date(first[0]?.createdAt ?? '').toISOString()).toBe(first[0]?.createdAt);
    expect(typeof first[0]?.seq).toBe('number');

    const all = await store.list(s, 0);
    expect(all).toEqual([...first, ...second]);
    expect(all[2]?.data).toEqual({ nested: { deep: [1, 'x', null] } });
    expect(seqs(await store.list(s, 1))).toEqual([2, 3]);
    expect(seqs(await store.list(s, 0, 2))).toEqual([1, 2]);
    expect(await store.list(s, 3)).toEqual([]);
    expect(await store.lastSeq(s)).toBe(3);
  });

  it('dedupes within one call and across calls, returning the stored event for each input', async () => {
    const s = newStream();
    const [a1, b, a2] = await store.append(s, [ev('a', { v: 'first' }), ev('b'), ev('a', { v: 'second' })]);
    expect(a1?.seq).toBe(1);
    expect(b?.seq).toBe(2);
    expect(a2).toEqual(a1);
    expect(a2?.data).toEqual({ v: 'first' });

    const again = await store.append(s, [ev('b', { v: 'retry' }), ev('c'), ev('a')]);
    expect(seqs(again)).toEqual([2, 3, 1]);
    expect(again[0]).toEqual(b);
    expect(await store.list(s, 0)).toHaveLength(3);
    const [row] = await t.db.query<{ n: number }>('select count(*)::int as n from run_events where stream_id = $1', [s]);
    expect(row?.n).toBe(3);
  });

  it('serialises 20 concurrent appenders of 10 events into seqs 1..200 with no gaps or duplicates', async () => {
    const s = newStream();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, w) =>
        store.append(
          s,
          Array.from({ length: 10 }, (_, i) => ev(`w${w}/e${i}`, { w, i })),
        ),
      ),
    );
    for (const r of results) {
      // Each call's events are consecutive and in input order.
      const [firstSeq] = seqs(r);
      expect(seqs(r)).toEqual(Array.from({ length: 10 }, (_, i) => (firstSeq ?? 0) + i));
    }
    const all = seqs(results.flat()).sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    const listed = await store.list(s, 0);
    expect(seqs(listed)).toEqual(all);
    expect(new Set(listed.map((e) => `${String(e.data.w)}/${String(e.data.i)}`)).size).toBe(200);
  });

  it('appends in one statement, or in an explicit read-committed transaction when the database defaults to a stricter level', async () => {
    // The one-statement append only sees rows committed while it waited for the stream lock under
    // read committed; it refuses anything stricter and the store falls back to setting the level itself.
    const strict = await openTestDatabase(kind);
    let db = strict.db;
    try {
      if (kind === 'postgres') {
        await db.exec(`do $$ begin execute format('alter database %I set default_transaction_isolation = %L', current_database(), 'repeatable read'); end $$`);
        // Only new connections take the database's setting.
        db = new PostgresDatabase({ connectionString: strict.url ?? '', poolSize: 10 });
      } else {
        await db.exec(`set default_transaction_isolation = 'repeatable read'`);
      }
      const [level] = await db.query<{ transaction_isolation: string }>('show transaction_isolation');
      expect(level?.transaction_isolation).toBe('repeatable read');
      await expect(db.query('select * from copilot_append_events($1, $2, $3, $4, $5)', ['s', ['t'], ['{}'], ['k'], 'c'])).rejects.toMatchObject({ code: 'CPA01' });

      const strictStore = new SqlEventStore(db);
      const s = newStream();
      const results = await Promise.all(Array.from({ length: 10 }, (_, w) => strictStore.append(s, [ev(`w${w}/a`), ev(`w${w}/b`), ev(`w${w}/a`)])));
      expect(seqs(results.flat().filter((_, i) => i % 3 !== 2)).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      for (const r of results) expect(r[2]).toEqual(r[0]); // a key repeated in one call is one event
      expect(seqs(await strictStore.append(s, [ev('w0/b'), ev('new')]))).toEqual([results[0]?.[1]?.seq, 21]);
    } finally {
      if (db !== strict.db) await db.close();
      await strict.dispose();
    }
  });

  it('keeps streams independent', async () => {
    const [s1, s2] = [newStream(), newStream()];
    await Promise.all([
      store.append(s1, [ev('x'), ev('y')]),
      store.append(s2, [ev('x')]), // same dedupe key in another stream is a different event
    ]);
    await store.append(s2, [ev('z')]);
    expect(seqs(await store.list(s1, 0))).toEqual([1, 2]);
    expect((await store.list(s2, 0)).map((e) => [e.seq, e.streamId])).toEqual([
      [1, s2],
      [2, s2],
    ]);
  });

  it('wakes subscribers with the stream id after an append commits', async () => {
    const s = newStream();
    const woken: string[] = [];
    const unsubscribe = await store.subscribe((id) => woken.push(id));
    try {
      await store.append(s, [ev('a')]);
      await waitFor(() => woken.includes(s), `a wake for ${s}`);
      // The wake means the rows are readable now.
      expect(seqs(await store.list(s, 0))).toEqual([1]);
    } finally {
      await unsubscribe();
    }
    const before = woken.length;
    await store.append(s, [ev('b')]);
    await new Promise((r) => setTimeout(r, 100));
    expect(woken).toHaveLength(before);
  });

  it('rejects oversized data with a clear error and writes nothing', async () => {
    const s = newStream();
    const big = { blob: 'x'.repeat(MAX_EVENT_DATA_BYTES) };
    const attempt = store.append(s, [ev('ok'), ev('big', big)]);
    await expect(attempt).rejects.toThrow(EventValidationError);
    const size = JSON.stringify(big).length;
    await expect(store.append(s, [ev('big', big)])).rejects.toThrow(`event 0 (step.log): data is ${size} bytes serialized; the limit is ${MAX_EVENT_DATA_BYTES} bytes (256 KiB)`);
    expect(await store.list(s, 0)).toEqual([]);
    // Just under the limit is fine.
    const fits = { blob: 'x'.repeat(MAX_EVENT_DATA_BYTES - 20) };
    expect(seqs(await store.append(s, [ev('fits', fits)]))).toEqual([1]);
  });

  it('validates event shape before touching the database', async () => {
    const s = newStream();
    const bad = (e: unknown) => store.append(s, [e as NewEvent]);
    await expect(bad({ type: '', dedupeKey: 'k', data: {} })).rejects.toThrow(/event 0: type/);
    await expect(bad({ type: 't', dedupeKey: '', data: {} })).rejects.toThrow(/event 0: dedupeKey/);
    await expect(bad({ type: 't', dedupeKey: 'k', data: [1, 2] })).rejects.toThrow(/event 0: data/);
    await expect(bad({ type: 't', dedupeKey: 'k', data: 'text' })).rejects.toThrow(/event 0: data/);
    await expect(store.append('', [ev('a')])).rejects.toThrow(/streamId/);
    await expect(store.list(s, -1)).rejects.toThrow(EventValidationError);
    await expect(store.list(s, 0, 0)).rejects.toThrow(EventValidationError);
    expect(await store.append(s, [])).toEqual([]);
    // An escaped backslash followed by "u0000" is ordinary text, not a NUL.
    expect(seqs(await store.append(s, [ev('k', { line: 'C:\\u0000' })]))).toEqual([1]);
    expect((await store.list(s, 0))[0]?.data).toEqual({ line: 'C:\\u0000' });
  });
});
