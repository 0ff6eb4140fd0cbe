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

function collector(): { seqs: number[]; listener: (e: StoredEvent) => void } {
  const seqs: number[] = [];
  return { seqs, listener: (e) => seqs.push(e.seq) };
}

async function appendN(store: SqlEventStore, stream: string, from: number, to: number, batch = 1): Promise<void> {
  for (let i = from; i <= to; i += batch) {
    const keys = range(i, Math.min(to, i + batch - 1));
    await store.append(stream, keys.map((k) => ({ type: 'step.log', dedupeKey: `k${k}`, data: { k } })));
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

  it.each(Array.from({ length: 15 }, (_, i) => i))('random joiners %i', async () => {
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
    await waitFor(() => joined.every(({ c }) => c.seqs.at(-1) === n), 'every late joiner to reach the end');
    await sleep(50);
    for (const { afterSeq, c } of joined) expect(c.seqs).toEqual(range(afterSeq + 1, n));
  });

});
