/** @jest-environment ./test/db/pgliteEnvironment.ts */
import type { StoredEvent } from '../../domain/events';
import { EventFanout } from '../../db/eventFanout';
import { SqlEventStore } from '../../db/eventStore';
import { BACKENDS, openTestDatabase, sleep, waitFor, type TestDatabase } from './backends';

// PGlite cannot boot inside Jest's sandbox: use the copy loaded by the environment (see pgliteEnvironment.ts).
jest.mock('@electric-sql/pglite', () => (globalThis as Record<string, unknown>).__hostPglite);

/**
 * Interleavings too narrow to hit by chance, forced with a store whose reads can be held: the
 * query runs at once (so its result is a snapshot of that moment) but resolves only on release.
 */
class GatedStore extends SqlEventStore {
  /** The races here are the pump's: appends reach the fanout by NOTIFY only, as another process's do. */
  override onAppended(): () => void {
    return () => undefined;
  }

  private gates: { match: (afterSeq: number, rows: StoredEvent[]) => boolean; hit: () => void; release: Promise<void> }[] = [];

  gate(match: (afterSeq: number, rows: StoredEvent[]) => boolean): { hit: Promise<void>; release: () => void } {
    let hit!: () => void;
    let release!: () => void;
    const hitP = new Promise<void>((r) => (hit = r));
    const releaseP = new Promise<void>((r) => (release = r));
    this.gates.push({ match, hit, release: releaseP });
    return { hit: hitP, release };
  }

  override async list(streamId: string, afterSeq: number, limit?: number): Promise<StoredEvent[]> {
    const rows = await super.list(streamId, afterSeq, limit);
    const gate = this.gates.find((g) => g.match(afterSeq, rows));
    if (gate) {
      this.gates = this.gates.filter((g) => g !== gate);
      gate.hit();
      await gate.release;
    }
    return rows;
  }
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
let streamCounter = 0;

describe.each(BACKENDS)('EventFanout races (%s)', (kind) => {
  let t: TestDatabase;
  let store: GatedStore;
  let fanout: EventFanout;
  let stream: string;
  const append = (...keys: number[]) =>
    store.append(
      stream,
      keys.map((k) => ({ type: 'step.log', dedupeKey: `k${k}`, data: { k } })),
    );

  beforeAll(async () => {
    t = await openTestDatabase(kind);
  });
  beforeEach(() => {
    store = new GatedStore(t.db);
    fanout = new EventFanout(store, { pollIntervalMs: 60_000 });
    stream = `run-race-${++streamCounter}`;
  });
  afterEach(async () => {
    await fanout.close();
  });
  afterAll(async () => {
    await t.dispose();
  });

  it('sends a subscriber back to catch-up when it joins live behind a read already in flight', async () => {
    const a: number[] = [];
    const b: number[] = [];
    await append(1, 2, 3);
    fanout.subscribe(stream, 0, (e) => a.push(e.seq));
    await waitFor(() => a.length === 3, 'A caught up');

    // B's backlog read sees 1..3, then stalls.
    const bRead = store.gate((after) => after === 0);
    fanout.subscribe(stream, 0, (e) => b.push(e.seq));
    await bRead.hit;

    await append(4, 5);
    await waitFor(() => a.length === 5, 'A live to 5');

    // The live pump's next read (after A's cursor 5) sees 6, then stalls.
    const pumpRead = store.gate((after, rows) => after === 5 && rows.length > 0);
    await append(6);
    await pumpRead.hit;

    bRead.release(); // B finishes its backlog at 3 and joins live while the pump holds a read from 5
    await sleep(30);
    pumpRead.release(); // must not hand B event 6 before 4 and 5

    await waitFor(() => a.length === 6 && b.at(-1) === 6, 'both at 6');
    await sleep(50);
    expect(a).toEqual(range(1, 6));
    expect(b).toEqual(range(1, 6));
  });

  it('gives a subscriber whose afterSeq is ahead of the stream only the events after it', async () => {
    const behind: number[] = [];
    const ahead: number[] = [];
    await append(1, 2);
    fanout.subscribe(stream, 0, (e) => behind.push(e.seq));
    fanout.subscribe(stream, 3, (e) => ahead.push(e.seq));
    await waitFor(() => behind.length === 2, 'backlog');
    await append(3);
    await waitFor(() => behind.length === 3, 'event 3');
    await append(4, 5);
    await waitFor(() => behind.length === 5 && ahead.length === 2, 'events 4 and 5');
    expect(behind).toEqual(range(1, 5));
    expect(ahead).toEqual([4, 5]);
  });

  it('recovers from a failed read on the next wake without losing events', async () => {
    const got: number[] = [];
    fanout.subscribe(stream, 0, (e) => got.push(e.seq));
    await sleep(50);
    const original = store.list.bind(store);
    let failures = 1;
    store.list = async (...args) => {
      if (failures-- > 0) throw new Error('connection reset');
      return original(...args);
    };
    await append(1); // its wake hits the failing read
    await sleep(100);
    await append(2); // the next wake reads from the subscriber's cursor again
    await waitFor(() => got.length === 2, 'both events');
    expect(got).toEqual([1, 2]);
  });
});
