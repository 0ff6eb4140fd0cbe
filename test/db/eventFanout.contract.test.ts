/** @jest-environment ./test/db/pgliteEnvironment.ts */
import type { StoredEvent } from '../../domain/events';
import { EventFanout } from '../../db/eventFanout';
import { SqlEventStore } from '../../db/eventStore';
import { BACKENDS, openTestDatabase, sleep, waitFor, type TestDatabase } from './backends';

// PGlite cannot boot inside Jest's sandbox: use the copy loaded by the environment (see pgliteEnvironment.ts).
jest.mock('@electric-sql/pglite', () => (globalThis as Record<string, unknown>).__hostPglite);

let streamCounter = 0;
const newStream = (): string => `run-${Date.now()}-${++streamCounter}`;
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Counts store calls, so tests can assert how much work the fanout does. */
class CountingStore extends SqlEventStore {
  lists = 0;
  subscribes = 0;
  override list(streamId: string, afterSeq: number, limit?: number): Promise<StoredEvent[]> {
    this.lists++;
    return super.list(streamId, afterSeq, limit);
  }
  override subscribe(onWake: (streamId: string) => void): Promise<() => Promise<void>> {
    this.subscribes++;
    return super.subscribe(onWake);
  }
}

/** Never LISTENs: only the store's own appends (offered) and explicit wakes reach its fanout. */
class DeafStore extends CountingStore {
  override subscribe(): Promise<() => Promise<void>> {
    this.subscribes++;
    return Promise.resolve(async () => undefined);
  }
}

function collector(): { seqs: number[]; listener: (e: StoredEvent) => void } {
  const seqs: number[] = [];
  return { seqs, listener: (e) => seqs.push(e.seq) };
}

async function appendN(store: SqlEventStore, stream: string, from: number, to: number, batch = 1): Promise<void> {
  for (let i = from; i <= to; i += batch) {
    const keys = range(i, Math.min(to, i + batch - 1));
    await store.append(
      stream,
      keys.map((k) => ({ type: 'step.log', dedupeKey: `k${k}`, data: { k } })),
    );
  }
}

describe.each(BACKENDS)('EventFanout (%s)', (kind) => {
  let t: TestDatabase;
  let store: CountingStore;
  let fanout: EventFanout;
  beforeAll(async () => {
    t = await openTestDatabase(kind);
  });
  beforeEach(() => {
    store = new CountingStore(t.db);
    // Long poll by default so tests see NOTIFY-driven behaviour; the poll test shortens it.
    fanout = new EventFanout(store, { pollIntervalMs: 60_000, batchSize: 50 });
  });
  afterEach(async () => {
    await fanout.close();
  });
  afterAll(async () => {
    await t.dispose();
  });

  it('gives a subscriber with afterSeq=k exactly k+1..N while appends continue', async () => {
    const s = newStream();
    await appendN(store, s, 1, 120, 7); // backlog spans several batches
    const c = collector();
    const appending = appendN(store, s, 121, 300, 3);
    fanout.subscribe(s, 40, c.listener);
    await appending;
    await waitFor(() => c.seqs.length >= 260, 'all events after 40');
    await sleep(100);
    expect(c.seqs).toEqual(range(41, 300));
    expect(store.subscribes).toBe(1);
  });

  it('has no gap or duplicate for subscribers joining at random moments during concurrent appends', async () => {
    const s = newStream();
    await appendN(store, s, 1, 30, 4);
    const joined: { afterSeq: number; c: ReturnType<typeof collector> }[] = [];
    const writers = [appendN(store, s, 31, 130, 2), appendN(store, s, 131, 230, 5)];
    for (let i = 0; i < 25; i++) {
      const last = await store.lastSeq(s);
      const afterSeq = Math.floor(Math.random() * (last + 1));
      const c = collector();
      fanout.subscribe(s, afterSeq, c.listener);
      joined.push({ afterSeq, c });
      await sleep(Math.random() * 15);
    }
    await Promise.all(writers);
    const n = await store.lastSeq(s);
    expect(n).toBe(230);
    await waitFor(() => joined.every(({ afterSeq, c }) => c.seqs.length >= n - afterSeq), 'every late joiner to reach the end');
    await sleep(50);
    for (const { afterSeq, c } of joined) expect(c.seqs).toEqual(range(afterSeq + 1, n));
  });

  it('delivers every event exactly once to 1 000 subscribers, with one list per wake once caught up', async () => {
    const s = newStream();
    await appendN(store, s, 1, 10, 10);
    const subs = Array.from({ length: 1000 }, (_, i) => ({ c: collector(), afterSeq: i % 5 }));
    for (const { c, afterSeq } of subs) fanout.subscribe(s, afterSeq, c.listener);
    await waitFor(() => subs.every(({ c }) => c.seqs.at(-1) === 10), 'every backlog');
    // Shared backlog reads: far fewer queries than subscribers.
    expect(store.lists).toBeLessThan(50);

    const before = store.lists;
    for (let n = 11; n <= 15; n++) {
      await appendN(store, s, n, n);
      await waitFor(() => subs.every(({ c }) => c.seqs.at(-1) === n), `event ${n} everywhere`);
    }
    expect(store.lists - before).toBeLessThanOrEqual(10); // ~1 per wake, not 1 000
    for (const { c, afterSeq } of subs) expect(c.seqs).toEqual(range(afterSeq + 1, 15));
    expect(store.subscribes).toBe(1);
  });

  it('keeps feeding other subscribers when one listener throws', async () => {
    const s = newStream();
    const good = collector();
    let thrown = 0;
    fanout.subscribe(s, 0, () => {
      thrown++;
      throw new Error('bad client');
    });
    fanout.subscribe(s, 0, good.listener);
    await appendN(store, s, 1, 5);
    await waitFor(() => good.seqs.length === 5, 'five events');
    expect(good.seqs).toEqual(range(1, 5));
    expect(thrown).toBe(5);
  });

  it('stops delivering after a subscription or the fanout is closed', async () => {
    const s = newStream();
    const a = collector();
    const b = collector();
    const subA = fanout.subscribe(s, 0, a.listener);
    fanout.subscribe(s, 0, b.listener);
    await appendN(store, s, 1, 2);
    await waitFor(() => a.seqs.length === 2 && b.seqs.length === 2, 'first two');
    subA.close();
    await appendN(store, s, 3, 3);
    await waitFor(() => b.seqs.length === 3, 'third for b');
    await fanout.close();
    await appendN(store, s, 4, 6);
    await sleep(300);
    expect(a.seqs).toEqual([1, 2]);
    expect(b.seqs).toEqual([1, 2, 3]);
    expect(() => fanout.subscribe(s, 0, () => undefined)).toThrow(/closed/);
  });

  it('drops feeds whose last subscriber left', async () => {
    const s = newStream();
    await appendN(store, s, 1, 3);
    const c = collector();
    const sub = fanout.subscribe(s, 0, c.listener);
    await waitFor(() => c.seqs.length === 3, 'backlog');
    expect(fanout.lastSeq(s)).toBe(3);
    sub.close();
    expect(fanout.lastSeq(s)).toBeUndefined();
    const before = store.lists;
    await appendN(store, s, 4, 6);
    await sleep(200);
    expect(store.lists).toBe(before); // NOTIFYs for a stream nobody watches cost no reads
  });

  it('covers a lost NOTIFY with the safety-net poll', async () => {
    await fanout.close();
    fanout = new EventFanout(store, { pollIntervalMs: 200 });
    const s = newStream();
    const c = collector();
    fanout.subscribe(s, 0, c.listener);
    await appendN(store, s, 1, 1);
    await waitFor(() => c.seqs.length === 1, 'first event');
    // Written behind the store's back: no pg_notify, so only the poll can find it.
    await t.db.query(`insert into run_events (stream_id, seq, type, data, dedupe_key) values ($1, 2, 'step.log', '{}', 'raw')`, [s]);
    await waitFor(() => c.seqs.length === 2, 'the silently inserted event', 5000);
    expect(c.seqs).toEqual([1, 2]);
  });

  it('delivers what this process appended without a NOTIFY or a read', async () => {
    await fanout.close();
    const deaf = new DeafStore(t.db);
    fanout = new EventFanout(deaf, { pollIntervalMs: 60_000 });
    const s = newStream();
    const c = collector();
    fanout.subscribe(s, 0, c.listener);
    await sleep(100); // caught up (empty) and live
    const reads = deaf.lists;
    await appendN(deaf, s, 1, 5);
    await appendN(deaf, s, 6, 9, 4);
    await waitFor(() => c.seqs.length === 9, 'nine offered events');
    expect(c.seqs).toEqual(range(1, 9));
    expect(deaf.lists).toBe(reads);
    // A repeated append (same keys) is offered again and delivered to nobody twice.
    await appendN(deaf, s, 1, 3);
    await sleep(50);
    expect(c.seqs).toEqual(range(1, 9));
  });

  it('never lets an offered event skip one another writer committed first', async () => {
    await fanout.close();
    const deaf = new DeafStore(t.db);
    let wake: (() => void) | undefined;
    fanout = new EventFanout(deaf, {
      pollIntervalMs: 60_000,
      onReconnect: (cb) => {
        wake = cb;
        return () => (wake = undefined);
      },
    });
    const s = newStream();
    const c = collector();
    fanout.subscribe(s, 0, c.listener);
    await sleep(100);
    // Another process's event: this process is not told of it (no NOTIFY reaches a deaf store).
    await t.db.query(`insert into run_events (stream_id, seq, type, data, dedupe_key) values ($1, 1, 'step.log', '{}', 'elsewhere')`, [s]);
    await appendN(deaf, s, 2, 2); // stored as seq 2 and offered
    await sleep(150);
    expect(c.seqs).toEqual([]); // seq 2 is not the next one for a subscriber at 0
    wake?.();
    await waitFor(() => c.seqs.length === 2, 'both, in order, after a read');
    expect(c.seqs).toEqual([1, 2]);
    await appendN(deaf, s, 3, 3);
    await waitFor(() => c.seqs.length === 3, 'the next offer, now contiguous');
    expect(c.seqs).toEqual([1, 2, 3]);
  });

  it('re-reads every stream when told notifications may have been lost', async () => {
    await fanout.close();
    let reconnected: (() => void) | undefined;
    fanout = new EventFanout(store, {
      pollIntervalMs: 60_000,
      onReconnect: (cb) => {
        reconnected = cb;
        return () => (reconnected = undefined);
      },
    });
    const s = newStream();
    const c = collector();
    fanout.subscribe(s, 0, c.listener);
    await sleep(100);
    await t.db.query(`insert into run_events (stream_id, seq, type, data, dedupe_key) values ($1, 1, 'step.log', '{}', 'raw')`, [s]);
    await sleep(200);
    expect(c.seqs).toEqual([]); // no NOTIFY, poll far away
    reconnected?.();
    await waitFor(() => c.seqs.length === 1, 'the event after the reconnect hook');
    await fanout.close();
    expect(reconnected).toBeUndefined(); // close() unregisters the hook
  });
});
