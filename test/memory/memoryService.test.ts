/** @jest-environment ./test/db/pgliteEnvironment.ts */
import { buildService, openMemoryDb, type MemoryDb, type ServiceParts } from './support/memoryHarness';

jest.mock('@electric-sql/pglite', () => (globalThis as Record<string, unknown>).__hostPglite);

/** The MemoryService surface the chat and incident activities and the API call, end to end on PGlite. */
describe('MemoryService', () => {
  let t: MemoryDb;
  let parts: ServiceParts;
  beforeAll(async () => {
    t = await openMemoryDb('pglite');
    parts = await buildService(t.db);
  });
  afterAll(async () => {
    await parts.close();
    await t.dispose();
  });

  it('records turns, remembers, retrieves context, restores and forgets', async () => {
    const memory = parts.service;
    const turn = await memory.recordTurn('act-1', { role: 'user', content: 'auth-svc login errors, ping eve@example.com' }, 'olga');
    expect(turn.content).toBe('auth-svc login errors, ping <EMAIL_1>');
    const { id } = await memory.remember({ text: 'INC-9 auth-svc login errors: expired signing key rotated', kind: 'incident', createdBy: 'olga' });
    const ctx = await memory.retrieveContext('act-1', 'auth-svc login errors before?', 2000);
    expect(ctx.items.find((i) => i.source === 'memory')?.id).toBe(id);
    // Plain JSON: what an activity returns must survive Temporal's payload converter.
    expect(JSON.parse(JSON.stringify(ctx))).toEqual(ctx);
    expect(await memory.restoreForSession('act-1', 'asked <EMAIL_1>')).toBe('asked eve@example.com');
    expect((await memory.search({ q: 'signing key', limit: 3 }))[0]?.id).toBe(id);
    await memory.summarise('incident', 'INC-9', 'rotated key; contact eve@example.com');
    expect(await t.db.query(`select text from memory_summaries where subject_id = 'INC-9'`)).toEqual([{ text: 'rotated key; contact <EMAIL_1>' }]);
    expect(await memory.forgetSession('act-1')).toBe(true);
    await memory.purgeExpired();
  });
});
