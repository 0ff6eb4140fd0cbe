import { randomUUID } from 'node:crypto';
import { HashedEmbedder } from '../../../memory/embeddings/hashedEmbedder';
import type { VectorPayload, VectorStore } from '../../../memory/vector/vectorStore';

/**
 * The VectorStore contract, one `describe` per backend: vectorStore.contract.test.ts runs it on
 * pgvector (PGlite), Qdrant (fake server) and the embedded store; pgvectorServer.test.ts on a real
 * Postgres with pgvector. `open` gets the clock the store must use and returns an initialised store.
 */
export interface ContractBackend {
  store: VectorStore;
  dispose(): Promise<void>;
}

const embedder = new HashedEmbedder({ dimension: 64 });
const embed = async (t: string) => (await embedder.embed([t]))[0]!;

export function describeVectorStoreContract(backend: string, open: (now: () => number) => Promise<ContractBackend>): void {
  describe(`VectorStore contract: ${backend}`, () => {
    let clock = 1_000_000;
    const now = () => clock;
    let store: VectorStore;
    let opened: ContractBackend | undefined;

    beforeAll(async () => {
      opened = await open(now);
      store = opened.store;
      await store.init(); // idempotent on restart
    }, 120_000);
    afterAll(async () => {
      await store?.close();
      await opened?.dispose();
    });

    const payload = (over: Partial<VectorPayload>): VectorPayload => ({
      tenant: 'default',
      kind: 'incident',
      text: '',
      importance: 0.8,
      createdAt: clock,
      expiresAt: clock + 10_000,
      ...over,
    });

    const ids = { pool: randomUUID(), disk: randomUUID(), pref: randomUUID(), other: randomUUID(), expiring: randomUUID() };

    it('upserts and finds the nearest by cosine, best first', async () => {
      const docs: [string, Partial<VectorPayload>][] = [
        [ids.pool, { text: 'checkout-svc 502 errors caused by exhausted database connection pool', service: 'checkout-svc', sessionId: 's-1' }],
        [ids.disk, { text: 'payments-api disk full on the log volume', service: 'payments-api' }],
        [ids.pref, { text: 'show charts, not tables', kind: 'preference', team: 'sre' }],
        [ids.other, { text: 'checkout-svc connection pool exhausted again', tenant: 'other-tenant' }],
      ];
      await store.upsert(await Promise.all(docs.map(async ([id, p]) => ({ id, vector: await embed(p.text!), payload: payload(p) }))));
      const hits = await store.search(await embed('connection pool exhausted on checkout-svc'), { tenant: 'default' }, 3);
      expect(hits[0]?.id).toBe(ids.pool);
      expect(hits[0]!.score).toBeGreaterThan(hits[1]!.score);
      expect(hits[0]!.score).toBeLessThanOrEqual(1.0001);
      expect(hits[0]!.payload).toMatchObject({ text: docs[0]![1].text, service: 'checkout-svc', kind: 'incident', sessionId: 's-1' });
      expect(hits.map((h) => h.id)).not.toContain(ids.other);
    });

    it('filters by kind, service and team', async () => {
      const v = await embed('anything');
      expect((await store.search(v, { tenant: 'default', kinds: ['preference'] }, 10)).map((h) => h.id)).toEqual([ids.pref]);
      expect((await store.search(v, { tenant: 'default', service: 'payments-api' }, 10)).map((h) => h.id)).toEqual([ids.disk]);
      expect((await store.search(v, { tenant: 'default', team: 'sre' }, 10)).map((h) => h.id)).toEqual([ids.pref]);
      expect(await store.search(v, { tenant: 'default', kinds: ['doc', 'note'] }, 10)).toEqual([]);
    });

    it('updates a point in place on re-upsert', async () => {
      await store.upsert([
        { id: ids.disk, vector: await embed('payments-api disk full'), payload: payload({ text: 'payments-api disk full (fixed by log rotation)', service: 'payments-api' }) },
      ]);
      const hits = await store.search(await embed('payments-api disk'), { tenant: 'default', service: 'payments-api' }, 5);
      expect(hits).toHaveLength(1);
      expect(hits[0]!.payload.text).toContain('log rotation');
    });

    it('never returns expired points and purges them', async () => {
      await store.upsert([{ id: ids.expiring, vector: await embed('short lived note'), payload: payload({ text: 'short lived note', kind: 'note', expiresAt: clock + 100 }) }]);
      expect((await store.search(await embed('short lived note'), { tenant: 'default', kinds: ['note'] }, 5)).map((h) => h.id)).toEqual([ids.expiring]);
      clock += 200;
      expect(await store.search(await embed('short lived note'), { tenant: 'default', kinds: ['note'] }, 5)).toEqual([]);
      const before = await store.count();
      await store.purgeExpired();
      expect(await store.count()).toBe(before - 1);
    });

    it('deletes by id and by session', async () => {
      await store.delete([ids.disk]);
      await store.deleteBySession('s-1');
      const left = (await store.search(await embed('checkout payments'), { tenant: 'default' }, 10)).map((h) => h.id);
      expect(left).toEqual([ids.pref]);
      await store.delete([]);
    });

    it('upsert is idempotent: the same points again, or an id twice in one batch (last wins)', async () => {
      const id = randomUUID();
      const v = await embed('idempotent upsert of a runbook outcome');
      const point = { id, vector: v, payload: payload({ text: 'runbook outcome v1', kind: 'runbook-outcome', service: 'idem-svc' }) };
      await store.upsert([point]);
      const before = await store.count();
      await store.upsert([point]);
      await store.upsert([point, { ...point, payload: { ...point.payload, text: 'runbook outcome v2' } }]);
      expect(await store.count()).toBe(before);
      const hits = await store.search(v, { tenant: 'default', service: 'idem-svc' }, 5);
      expect(hits.map((h) => [h.id, h.payload.text])).toEqual([[id, 'runbook outcome v2']]);
      expect(hits[0]!.score).toBeCloseTo(1, 4);
      expect(hits[0]!.payload).toEqual({ ...point.payload, text: 'runbook outcome v2' });
      await store.delete([id]);
      expect(await store.search(v, { tenant: 'default', service: 'idem-svc' }, 5)).toEqual([]);
    });

    it('rejects a vector of the wrong dimension', async () => {
      await expect(store.upsert([{ id: randomUUID(), vector: [1, 2, 3], payload: payload({ text: 'x' }) }])).rejects.toThrow(/dimension/);
    });
  });
}
