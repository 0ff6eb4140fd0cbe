/** @jest-environment ./test/db/pgliteEnvironment.ts */
import { createMemoryActivities } from '../../memory/memoryActivities';
import { buildService, openMemoryDb, type MemoryDb, type ServiceParts } from './support/memoryHarness';

jest.mock('@electric-sql/pglite', () => (globalThis as Record<string, unknown>).__hostPglite);

/** The activity surface later chat/incident workflows call: plain JSON in and out. */
describe('createMemoryActivities', () => {
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
    const a = createMemoryActivities(parts.service);
    const turn = await a.memoryRecordTurn({ sessionId: 'act-1', role: 'user', content: 'auth-svc login errors, ping eve@example.com', subject: 'olga' });
    expect(turn.content).toBe('auth-svc login errors, ping <EMAIL_1>');
    const { id } = await a.memoryRemember({ text: 'INC-9 auth-svc login errors: expired signing key rotated', kind: 'incident', createdBy: 'olga' });
    const ctx = await a.memoryRetrieveContext({ sessionId: 'act-1', query: 'auth-svc login errors before?', budgetTokens: 2000 });
    expect(ctx.items.find((i) => i.source === 'memory')?.id).toBe(id);
    expect(JSON.parse(JSON.stringify(ctx))).toEqual(ctx);
    expect(await a.memoryRestore({ sessionId: 'act-1', text: 'asked <EMAIL_1>' })).toBe('asked eve@example.com');
    expect((await a.memorySearch({ q: 'signing key', limit: 3 }))[0]?.id).toBe(id);
    await a.memorySummarise({ subject: 'incident', subjectId: 'INC-9', text: 'rotated key; contact eve@example.com' });
    expect(await t.db.query(`select text from memory_summaries where subject_id = 'INC-9'`)).toEqual([{ text: 'rotated key; contact <EMAIL_1>' }]);
    expect(await a.memoryForgetSession({ sessionId: 'act-1' })).toEqual({ existed: true });
    await a.memoryPurgeExpired();
  });
});
