/** @jest-environment ./test/db/pgliteEnvironment.ts */
import { randomUUID } from 'node:crypto';
import { ChoiceRepository } from '../../memory/mediumTerm/choiceRepository';
import { MemoryRecordRepository } from '../../memory/mediumTerm/memoryRecordRepository';
import { SessionRepository } from '../../memory/mediumTerm/sessionRepository';
import type { MemoryRecord } from '../../memory/types';
import { openMemoryDb, type MemoryDb } from './support/memoryHarness';

jest.mock('@electric-sql/pglite', () => (globalThis as Record<string, unknown>).__hostPglite);

/** The medium-term repositories behave the same on a real Postgres 15 and on PGlite. */
describe.each(['postgres', 'pglite'] as const)('medium-term tier contract (%s)', (kind) => {
  let t: MemoryDb;
  let clock = Date.parse('2026-01-01T00:00:00Z');
  const now = () => clock;
  let sessions: SessionRepository;
  let records: MemoryRecordRepository;

  beforeAll(async () => {
    t = await openMemoryDb(kind);
    sessions = new SessionRepository(t.db, { turnsMs: 24 * 3_600_000, summariesMs: 30 * 86_400_000 }, now);
    records = new MemoryRecordRepository(t.db, now);
  });
  afterAll(async () => {
    await t.dispose();
  });

  it('migrations created the memory tables (versions 100+)', async () => {
    const rows = await t.db.query<{ version: number }>('select version from schema_migrations where version >= 100');
    expect(rows.map((r) => Number(r.version))).toContain(100);
  });

  it('stores messages and returns the last N oldest first; entities by last mention', async () => {
    await sessions.ensureSession('s1', 'default', 'olga');
    for (let i = 1; i <= 5; i++) await sessions.appendMessage('s1', { role: 'user', content: `m${i}`, at: clock + i }, 2);
    expect((await sessions.recentMessages('s1', 3)).map((m) => m.content)).toEqual(['m3', 'm4', 'm5']);
    await sessions.touchEntities('s1', [{ type: 'service', value: 'checkout-svc', at: clock }]);
    await sessions.touchEntities('s1', [{ type: 'incident', value: 'INC-7', at: clock + 10 }]);
    expect((await sessions.entities('s1', 10)).map((e) => e.value)).toEqual(['INC-7', 'checkout-svc']);
    expect(await sessions.sessionOwner('s1')).toBe('olga');
  });

  it('hides and purges turns after the retention, keeps summaries longer', async () => {
    await sessions.appendMessage('s2', { role: 'user', content: 'old', at: clock }, 1);
    await sessions.putSummary('session', 's2', 'user asked about old things');
    clock += 25 * 3_600_000;
    expect(await sessions.recentMessages('s2', 10)).toEqual([]);
    expect(await sessions.getSummary('session', 's2')).toBe('user asked about old things');
    expect(await sessions.purgeExpired()).toBeGreaterThan(0);
    const left = await t.db.query(`select 1 from memory_messages where session_id = 's2'`);
    expect(left).toHaveLength(0);
  });

  it('forgets a session completely', async () => {
    await sessions.ensureSession('s3', 'default', 'olga');
    await sessions.appendMessage('s3', { role: 'user', content: 'x', at: clock }, 1);
    await sessions.putSummary('session', 's3', 'sum');
    expect(await sessions.forgetSession('s3')).toBe(true);
    expect(await sessions.recentMessages('s3', 10)).toEqual([]);
    expect(await sessions.getSummary('session', 's3')).toBeUndefined();
    expect(await sessions.forgetSession('s3')).toBe(false);
  });

  it('inserts, reads, deletes and expires memory records', async () => {
    const make = (over: Partial<MemoryRecord> = {}): MemoryRecord => ({
      id: randomUUID(),
      text: 'checkout-svc 502s were the connection pool',
      kind: 'incident',
      scope: { tenant: 'default', service: 'checkout-svc' },
      importance: 0.8,
      createdBy: 'olga',
      createdAt: new Date(clock),
      expiresAt: new Date(clock + 1000),
      ...over,
    });
    const a = make();
    const b = make({ sessionId: 's9', expiresAt: new Date(clock + 10 * 86_400_000) });
    await records.insert([a, b]);
    expect(await records.get(a.id)).toEqual(a);
    expect([...(await records.getMany([a.id, b.id])).keys()].sort()).toEqual([a.id, b.id].sort());
    expect(await records.deleteBySession('s9')).toEqual([b.id]);
    clock += 2000;
    expect(await records.get(a.id)).toBeUndefined();
    expect(await records.purgeExpired()).toEqual([a.id]);
    expect(await records.delete(a.id)).toBe(false);
  });

  it('promotes a repeated choice exactly once at the threshold', async () => {
    const choices = new ChoiceRepository(t.db);
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await choices.record('default', 'team:payments', 'format', 'chart', 3));
    expect(results).toEqual([false, false, true, false, false]);
  });
});
