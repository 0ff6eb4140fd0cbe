/** @jest-environment ./test/db/pgliteEnvironment.ts */
import { PostgresDatabase } from '../../db/postgresDatabase';
import { GENESIS_HASH, AuditValidationError, SqlAuditLog, digestInputs, rowHash, verifyAuditChain, type NewAuditEntry } from '../../audit/auditLog';
import { auditedEventStore } from '../../audit/auditedEventStore';
import { runAuditVerify } from '../../scripts/auditVerify';
import { BACKENDS, openTestDatabase, type TestDatabase } from '../db/backends';

// PGlite cannot boot inside Jest's sandbox: use the copy loaded by the environment (see pgliteEnvironment.ts).
jest.mock('@electric-sql/pglite', () => (globalThis as Record<string, unknown>).__hostPglite);

let n = 0;
const entry = (over: Partial<NewAuditEntry> = {}): NewAuditEntry => ({
  subject: 'olga',
  roles: ['operator'],
  surface: 'api',
  action: 'run.start',
  target: `run-${++n}`,
  inputDigest: digestInputs({ n }),
  outcome: 'ok',
  statusCode: 202,
  requestId: `req-${n}`,
  ...over,
});

describe.each(BACKENDS)('audit_log (%s)', (kind) => {
  let t: TestDatabase;
  let audit: SqlAuditLog;

  beforeEach(async () => {
    t = await openTestDatabase(kind);
    audit = new SqlAuditLog(t.db);
  });
  afterEach(async () => {
    await t.dispose();
  });

  async function appendMany(count: number): Promise<number[]> {
    const ids: number[] = [];
    for (let i = 0; i < count; i++) ids.push((await audit.append(entry())).id);
    return ids;
  }

  it('chains every row to the one before it and verifies, across page boundaries', async () => {
    const first = await audit.append(entry({ outcome: 'refused', statusCode: 403, reason: 'this action requires the "operator" role' }));
    expect(first.prevHash).toBe(GENESIS_HASH);
    expect(first.hash).toBe(rowHash(first));
    const second = await audit.append(entry());
    expect(second.prevHash).toBe(first.hash);
    expect(second.id).toBeGreaterThan(first.id);
    await appendMany(5);
    expect(await verifyAuditChain(t.db, { pageSize: 3 })).toEqual({ ok: true, rows: 7, headHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    // What was stored is what was hashed: reading it back gives the same record.
    const page = await audit.list({ limit: 10 });
    expect(page.items[page.items.length - 1]).toEqual(first);
  });

  it('finds a tampered subject, a tampered outcome, a deleted row and swapped hashes, naming the row', async () => {
    const ids = await appendMany(6);
    const [a, b, c, d, e] = ids as [number, number, number, number, number];

    await t.db.query("update audit_log set subject = 'mallory' where id = $1", [b]);
    expect(await verifyAuditChain(t.db, { pageSize: 2 })).toMatchObject({ ok: false, brokenId: b, rows: 1, reason: expect.stringMatching(/hash does not match/) });
    await t.db.query("update audit_log set subject = 'olga' where id = $1", [b]);
    expect((await verifyAuditChain(t.db)).ok).toBe(true);

    await t.db.query("update audit_log set outcome = 'ok', reason = null where id = $1", [c]);
    await t.db.query("update audit_log set outcome = 'refused' where id = $1", [c]);
    expect(await verifyAuditChain(t.db)).toMatchObject({ ok: false, brokenId: c });
    await t.db.query("update audit_log set outcome = 'ok' where id = $1", [c]);

    // Swapping two rows' hashes (a forger re-ordering the chain) breaks the first of them.
    await t.db.query(
      'update audit_log set hash = case when id = $1 then (select hash from audit_log where id = $2) else (select hash from audit_log where id = $1) end where id in ($1, $2)',
      [d, e],
    );
    expect(await verifyAuditChain(t.db)).toMatchObject({ ok: false, brokenId: d, reason: expect.stringMatching(/hash does not match/) });
    await t.db.query(
      'update audit_log set hash = case when id = $1 then (select hash from audit_log where id = $2) else (select hash from audit_log where id = $1) end where id in ($1, $2)',
      [d, e],
    );
    expect((await verifyAuditChain(t.db)).ok).toBe(true);

    // A deleted row is found at the row after it, even if the forger recomputes nothing.
    await t.db.query('delete from audit_log where id = $1', [b]);
    expect(await verifyAuditChain(t.db)).toMatchObject({
      ok: false,
      brokenId: c,
      rows: 1,
      reason: expect.stringMatching(new RegExp(`prev_hash does not match the hash of row ${a}`)),
    });
    // Deleting the first row breaks the chain start.
    await t.db.query('delete from audit_log where id <= $1', [c]);
    expect(await verifyAuditChain(t.db)).toMatchObject({ ok: false, brokenId: d, reason: expect.stringMatching(/genesis/) });
  });

  it('workflow-side actions: the event-append activity writes one row per signal vote, refusal and chat action, once per dedupe key', async () => {
    const appended: string[] = [];
    const inner = {
      append: async (streamId: string, events: { type: string }[]) => {
        appended.push(...events.map((e) => `${streamId}:${e.type}`));
        return [];
      },
      list: async () => [],
      subscribe: async () => async () => undefined,
    };
    const store = auditedEventStore(inner, audit);
    const decided = {
      type: 'approval.decided',
      dedupeKey: 'run-abc/approval/approve/decided',
      data: {
        gateId: 'approve',
        status: 'approved',
        votes: [
          { approver: 'alan', decision: 'approve', via: 'temporal-signal', claimed: true, at: 'x' },
          { approver: 'adam', decision: 'approve', via: 'api', at: 'y' },
        ],
      },
    };
    const refused = {
      type: 'approval.refused',
      dedupeKey: 'run-abc/approval/refused/1',
      data: { gateId: 'approve', claimedApprover: 'olga', refusal: 'ApprovalForbidden', reason: 'four-eyes: olga requested this run' },
    };
    const started = {
      type: 'action.started',
      dedupeKey: 'sess-1/turn-3/action.started',
      data: { proposalId: 'p-3-1', runId: 'run-xyz', runbook: 'restart-service', requestedBy: 'olga' },
    };
    const noise = { type: 'step.log', dedupeKey: 'run-abc/s/1/log/1', data: { line: 'hello' } };
    await store.append('run-abc', [decided, refused, noise]);
    await store.append('run-abc', [decided, refused]); // the retried activity
    await store.append('sess-1', [started]);
    await store.append('feed:approvals', [decided, refused]); // the approvals feed's copies: stored, not audited again
    expect(appended).toHaveLength(8);
    const rows = (await audit.list({ limit: 10 })).items;
    expect(rows.map((r) => [r.surface, r.subject, r.subjectClaimed, r.action, r.target, r.outcome]).sort()).toEqual(
      [
        ['chat', 'olga', false, 'run.start', 'run-xyz', 'ok'],
        ['temporal-signal', 'alan', true, 'approval.decide', 'run-abc/approve', 'ok'],
        ['temporal-signal', 'olga', true, 'approval.decide', 'run-abc/approve', 'refused'],
      ].sort(),
    );
    expect(rows.find((r) => r.outcome === 'refused')?.reason).toBe('four-eyes: olga requested this run');
    expect((await verifyAuditChain(t.db)).ok).toBe(true);
    await expect(audit.append(entry({ inputDigest: 'not-a-digest' }))).rejects.toThrow(AuditValidationError);
    await expect(audit.append(entry({ inputDigest: 'not-a-digest' }))).rejects.toThrow(/inputDigest/);
    expect((await audit.list({ limit: 10 })).items).toHaveLength(3);
  });

  it('filters and pages newest first with an opaque cursor', async () => {
    for (let i = 0; i < 5; i++) await audit.append(entry({ subject: 'olga' }));
    for (let i = 0; i < 3; i++) await audit.append(entry({ subject: 'vera', action: 'approval.decide', outcome: 'refused', statusCode: 403 }));
    const vera = await audit.list({ subject: 'vera', limit: 2 });
    expect(vera.items.map((r) => r.subject)).toEqual(['vera', 'vera']);
    expect(vera.items[0]!.id).toBeGreaterThan(vera.items[1]!.id);
    expect(vera.nextCursor).toEqual(expect.any(String));
    const rest = await audit.list({ subject: 'vera', limit: 2, beforeId: vera.items[1]!.id });
    expect(rest.items).toHaveLength(1);
    expect(rest.nextCursor).toBeUndefined();
    expect((await audit.list({ outcome: 'refused', action: 'approval.decide', limit: 100 })).items).toHaveLength(3);
    const target = (await audit.list({ limit: 1 })).items[0]!.target!;
    expect((await audit.list({ target, limit: 100 })).items).toHaveLength(1);
    expect((await audit.list({ from: new Date(Date.now() + 60_000), limit: 100 })).items).toHaveLength(0);
    expect((await audit.list({ to: new Date(Date.now() + 60_000), from: new Date(Date.now() - 60_000), limit: 100 })).items).toHaveLength(8);
  });

  it('hashes in the database exactly as rowHash does, whatever the claimed text', async () => {
    // Quotes, backslashes, non-ASCII, and text shaped like the placeholders copilot_append_audit fills in.
    const tricky = ['say "hi" \\ there', 'ünïcødé — ✓ 🚀', '","id":"1","at":"x', `${'0'.repeat(36)}:prevHash`];
    const rows = [];
    for (const text of tricky) rows.push(await audit.append(entry({ subject: text, reason: text, target: text })));
    for (const row of rows) expect(row.hash).toBe(rowHash(row));
    expect(rows[0]!.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(await verifyAuditChain(t.db)).toMatchObject({ ok: true, rows: tricky.length });
  });

  if (kind === 'pglite') {
    it('falls back to the transactional append when the default isolation is stricter, on the same chain', async () => {
      await appendMany(2);
      // PGlite is one session, so this applies to every later statement of this store.
      await t.db.query("set default_transaction_isolation = 'serializable'");
      const transaction = jest.spyOn(t.db, 'transaction');
      const later = await audit.append(entry({ subject: 'after' }));
      expect(transaction).toHaveBeenCalledTimes(1); // the one-statement append refused, the transaction wrote it
      expect(later.hash).toBe(rowHash(later));
      expect(await verifyAuditChain(t.db)).toMatchObject({ ok: true, rows: 3 });
    });
  }

  it('keeps the chain valid with concurrent appenders', async () => {
    // Postgres: two Database instances (two pools, as two replicas would have). PGlite is one
    // process by design, so there the concurrency is many callers on one handle.
    const other = kind === 'postgres' ? new PostgresDatabase({ connectionString: t.url!, poolSize: 5 }) : t.db;
    const second = new SqlAuditLog(other);
    try {
      const writes = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? audit : second).append(entry({ subject: `s${i}` })));
      const rows = await Promise.all(writes);
      expect(new Set(rows.map((r) => r.prevHash)).size).toBe(40); // no two rows claim the same predecessor
      expect(await verifyAuditChain(t.db, { pageSize: 7 })).toMatchObject({ ok: true, rows: 40 });
    } finally {
      if (other !== t.db) await other.close();
    }
  });

  if (kind === 'postgres') {
    it('npm run audit:verify prints OK or the broken row and exits 0 or 1', async () => {
      await appendMany(3);
      const lines: string[] = [];
      expect(await runAuditVerify({ DATABASE_URL: t.url!, AUDIT_VERIFY_PAGE_SIZE: '2' }, (l) => lines.push(l))).toBe(0);
      expect(lines[0]).toMatch(/^OK 3 rows; head hash [0-9a-f]{64}$/);
      const [, middle] = (await audit.list({ limit: 3 })).items.map((r) => r.id).reverse();
      await t.db.query("update audit_log set outcome = 'failed' where id = $1", [middle]);
      expect(await runAuditVerify({ DATABASE_URL: t.url! }, (l) => lines.push(l))).toBe(1);
      expect(lines[1]).toMatch(new RegExp(`^BROKEN at row id ${middle} \\(after 1 good rows\\): hash does not match`));
    });
  }
});
