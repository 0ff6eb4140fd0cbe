import { createHash, randomUUID } from 'node:crypto';
import { canonicalJson } from '../domain/canonicalJson';
import { z } from 'zod';
import type { Database, Queryable } from '../db/database';
import { NOT_READ_COMMITTED } from '../db/eventStore';

/**
 * The append-only audit trail (`audit_log`). Every row carries
 * `hash = sha256(prev_hash || canonical(row))`, so changing, deleting or re-ordering any row breaks
 * the chain at that row, which `verifyAuditChain` (and `npm run audit:verify`) reports by id.
 * There is deliberately no update or delete here; see auditMigrations.ts for the production grants.
 */

export const AUDIT_SURFACES = ['api', 'chat', 'console', 'cli', 'temporal-signal', 'webhook', 'slack', 'mcp'] as const;
export const AuditSurface = z.enum(AUDIT_SURFACES);
export type AuditSurface = z.infer<typeof AuditSurface>;
export const AuditOutcome = z.enum(['ok', 'refused', 'failed']);
export type AuditOutcome = z.infer<typeof AuditOutcome>;

/** The previous hash of the first row. */
export const GENESIS_HASH = '0'.repeat(64);
export const MAX_REASON_CHARS = 2000;
export const MAX_LIST_LIMIT = 500;

const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be a lowercase hex sha256');
const ShortText = z.string().min(1).max(500);

/** What a caller appends; id, time and hashes are assigned under the chain lock. */
export const NewAuditEntry = z.strictObject({
  subject: z.string().min(1).max(200),
  /** True when the subject is what a message claimed (a Temporal UI signal), not an authenticated identity. */
  subjectClaimed: z.boolean().default(false),
  roles: z.array(z.string().min(1).max(50)).max(20),
  surface: AuditSurface,
  action: z.string().min(1).max(200),
  target: ShortText.nullable().default(null),
  inputDigest: Sha256Hex,
  outcome: AuditOutcome,
  reason: z.string().max(MAX_REASON_CHARS).nullable().default(null),
  statusCode: z.number().int().min(100).max(599).nullable().default(null),
  requestId: z.string().min(1).max(200).nullable().default(null),
  traceId: z.string().min(1).max(64).nullable().default(null),
  /** At-least-once writers (activities) pass one: a second append with the same key returns the first row. */
  dedupeKey: ShortText.nullable().default(null),
});
export type NewAuditEntry = z.input<typeof NewAuditEntry>;
type ParsedEntry = z.output<typeof NewAuditEntry>;

export interface AuditRecord extends ParsedEntry {
  id: number;
  at: string;
  prevHash: string;
  hash: string;
}

export interface AuditFilters {
  subject?: string;
  action?: string;
  target?: string;
  surface?: AuditSurface;
  outcome?: AuditOutcome;
  from?: Date;
  to?: Date;
  /** Only rows with id < beforeId (newest first paging). */
  beforeId?: number;
  limit: number;
}

export interface AuditPage {
  items: AuditRecord[];
  /** Present when there may be more rows. */
  nextCursor?: string;
}

/** The port the API middleware, the activity and the route use. */
export interface AuditLog {
  append(entry: NewAuditEntry): Promise<AuditRecord>;
  list(filters: AuditFilters): Promise<AuditPage>;
}

/** Thrown (before anything is written) for a malformed entry; the message names the field. */
export class AuditValidationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuditValidationError';
  }
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

// The chain's canonical form; one definition for the whole project (domain/canonicalJson.ts).
export { canonicalJson };

/** sha256 of the canonical JSON of a request's inputs: what the row stores instead of the inputs. */
export function digestInputs(inputs: unknown): string {
  return sha256Hex(canonicalJson(inputs));
}

/** The row as hashed. Every stored column except `hash` itself; id as a string so it is exact. */
export function canonicalRow(row: Omit<AuditRecord, 'hash'>): string {
  return canonicalJson({
    id: String(row.id),
    at: row.at,
    subject: row.subject,
    subjectClaimed: row.subjectClaimed,
    roles: row.roles,
    surface: row.surface,
    action: row.action,
    target: row.target,
    inputDigest: row.inputDigest,
    outcome: row.outcome,
    reason: row.reason,
    statusCode: row.statusCode,
    requestId: row.requestId,
    traceId: row.traceId,
    dedupeKey: row.dedupeKey,
    prevHash: row.prevHash,
  });
}

/** `prev_hash || canonical row`: the previous hash (64 hex chars) immediately followed by the JSON. */
export function rowHash(row: Omit<AuditRecord, 'hash'>): string {
  return sha256Hex(row.prevHash + canonicalRow(row));
}

interface AuditRow {
  id: string | number | bigint;
  at: Date | string;
  subject: string;
  subject_claimed: boolean;
  roles: string[];
  surface: string;
  action: string;
  target: string | null;
  input_digest: string;
  outcome: string;
  reason: string | null;
  status_code: number | null;
  request_id: string | null;
  trace_id: string | null;
  dedupe_key: string | null;
  prev_hash: string;
  hash: string;
}

const COLUMNS = 'id, at, subject, subject_claimed, roles, surface, action, target, input_digest, outcome, reason, status_code, request_id, trace_id, dedupe_key, prev_hash, hash';

/** Exported for the verifier: it must read rows exactly as the writer hashed them. */
export function toRecord(row: AuditRow): AuditRecord {
  return {
    id: Number(row.id),
    at: new Date(row.at).toISOString(),
    subject: row.subject,
    subjectClaimed: row.subject_claimed,
    roles: row.roles,
    surface: row.surface as AuditSurface,
    action: row.action,
    target: row.target,
    inputDigest: row.input_digest,
    outcome: row.outcome as AuditOutcome,
    reason: row.reason,
    statusCode: row.status_code === null ? null : Number(row.status_code),
    requestId: row.request_id,
    traceId: row.trace_id,
    dedupeKey: row.dedupe_key,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/** One chain, one lock: every append in every process serialises on it (see appendLocked). */
const CHAIN_LOCK = "select pg_advisory_xact_lock(hashtextextended('copilot:audit_log', 0))";

export function encodeCursor(beforeId: number): string {
  return Buffer.from(JSON.stringify({ b: beforeId }), 'utf8').toString('base64url');
}

/** undefined for anything that is not a cursor this module produced. */
export function decodeCursor(cursor: string): number | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    const b = (parsed as { b?: unknown } | null)?.b;
    return typeof b === 'number' && Number.isSafeInteger(b) && b > 0 ? b : undefined;
  } catch {
    return undefined;
  }
}

/** The row's values the database assigns under the chain lock; copilot_append_audit fills them in. */
const SERVER_SLOTS = ['id', 'at', 'prevHash'] as const;

/**
 * The canonical row (canonicalRow) cut around its server-side values: `parts[0] slot[0] parts[1] …`,
 * each slot standing for that value as a JSON string. Placeholders are random per call, so no
 * claimed text can imitate one; keys are sorted, so the slots come in key order.
 */
export function canonicalRowParts(entry: ParsedEntry): { parts: string[]; slots: string[] } {
  const token = randomUUID();
  const placeholder = (slot: string) => `${token}:${slot}`;
  const canonical = canonicalRow({ ...entry, id: placeholder('id') as unknown as number, at: placeholder('at'), prevHash: placeholder('prevHash') });
  const found = SERVER_SLOTS.map((slot) => ({ slot, quoted: JSON.stringify(placeholder(slot)), at: canonical.indexOf(JSON.stringify(placeholder(slot))) })).sort(
    (a, b) => a.at - b.at,
  );
  const parts: string[] = [];
  let from = 0;
  for (const { quoted, at } of found) {
    if (at < 0) throw new Error('canonical row lost a server-side value');
    parts.push(canonical.slice(from, at));
    from = at + quoted.length;
  }
  parts.push(canonical.slice(from));
  return { parts, slots: found.map((f) => f.slot) };
}

export class SqlAuditLog implements AuditLog {
  /** Set once the database refuses the one-statement append (not read committed): then always the transaction. */
  private explicitTransaction = false;

  constructor(private readonly db: Database) {}

  async append(entry: NewAuditEntry): Promise<AuditRecord> {
    const parsed = NewAuditEntry.safeParse(entry);
    if (!parsed.success) {
      const detail = parsed.error.issues.map((i) => `${i.path.join('.') || 'entry'}: ${i.message}`).join('; ');
      throw new AuditValidationError(`invalid audit entry: ${detail}`);
    }
    if (!this.explicitTransaction) {
      try {
        return await appendInOneStatement(this.db, parsed.data);
      } catch (err) {
        if ((err as { code?: unknown }).code !== NOT_READ_COMMITTED) throw err;
        this.explicitTransaction = true;
      }
    }
    return this.db.transaction((tx) => appendLocked(tx, parsed.data));
  }

  async list(filters: AuditFilters): Promise<AuditPage> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (clause: string, value: unknown): void => {
      params.push(value);
      where.push(clause.replace('?', `$${params.length}`));
    };
    if (filters.subject !== undefined) add('subject = ?', filters.subject);
    if (filters.action !== undefined) add('action = ?', filters.action);
    if (filters.target !== undefined) add('target = ?', filters.target);
    if (filters.surface !== undefined) add('surface = ?', filters.surface);
    if (filters.outcome !== undefined) add('outcome = ?', filters.outcome);
    if (filters.from !== undefined) add('at >= ?', filters.from.toISOString());
    if (filters.to !== undefined) add('at < ?', filters.to.toISOString());
    if (filters.beforeId !== undefined) add('id < ?', filters.beforeId);
    const limit = Math.min(Math.max(1, Math.trunc(filters.limit)), MAX_LIST_LIMIT);
    params.push(limit + 1); // one extra row says whether there is a next page
    const rows = await this.db.query<AuditRow>(
      `select ${COLUMNS} from audit_log ${where.length ? `where ${where.join(' and ')}` : ''} order by id desc limit $${params.length}`,
      params,
    );
    const items = rows.slice(0, limit).map(toRecord);
    const last = items[items.length - 1];
    return rows.length > limit && last ? { items, nextCursor: encodeCursor(last.id) } : { items };
  }
}

/** The append as one statement, copilot_append_audit (migration 301): same lock, same chain, same hash. */
async function appendInOneStatement(db: Queryable, entry: ParsedEntry): Promise<AuditRecord> {
  const { parts, slots } = canonicalRowParts(entry);
  const [row] = await db.query<AuditRow>(`select ${COLUMNS} from copilot_append_audit($1, $2, $3, $4, $5::text[], $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`, [
    parts,
    slots,
    entry.subject,
    entry.subjectClaimed,
    entry.roles,
    entry.surface,
    entry.action,
    entry.target,
    entry.inputDigest,
    entry.outcome,
    entry.reason,
    entry.statusCode,
    entry.requestId,
    entry.traceId,
    entry.dedupeKey,
    GENESIS_HASH,
  ]);
  if (!row) throw new Error('copilot_append_audit returned no row');
  return toRecord(row);
}

/**
 * The transactional fallback (a database whose default isolation is stricter than read committed).
 * Appends under the chain lock. The transaction-scoped advisory lock is held until COMMIT, so
 * "read the last hash, take the next id, insert" is atomic across every API replica and worker:
 * ids grow in commit order and each row's prev_hash is the hash of the row before it. (A rolled
 * back append leaves an id gap, which is harmless: the chain links hashes, not ids.)
 */
async function appendLocked(tx: Queryable, entry: ParsedEntry): Promise<AuditRecord> {
  // Read committed: after waiting for the lock, the next statements see the rows committed meanwhile.
  await tx.query('set transaction isolation level read committed');
  await tx.query(CHAIN_LOCK);
  if (entry.dedupeKey !== null) {
    const [existing] = await tx.query<AuditRow>(`select ${COLUMNS} from audit_log where dedupe_key = $1`, [entry.dedupeKey]);
    if (existing) return toRecord(existing);
  }
  const [last] = await tx.query<{ hash: string }>('select hash from audit_log order by id desc limit 1');
  const [next] = await tx.query<{ id: string | number }>("select nextval(pg_get_serial_sequence('audit_log', 'id')) as id");
  if (!next) throw new Error('nextval returned no row');
  const unhashed: Omit<AuditRecord, 'hash'> = {
    ...entry,
    id: Number(next.id),
    at: new Date().toISOString(),
    prevHash: last?.hash ?? GENESIS_HASH,
  };
  const record: AuditRecord = { ...unhashed, hash: rowHash(unhashed) };
  await tx.query(`insert into audit_log (${COLUMNS}) values ($1, $2, $3, $4, $5::text[], $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`, [
    record.id,
    record.at,
    record.subject,
    record.subjectClaimed,
    record.roles,
    record.surface,
    record.action,
    record.target,
    record.inputDigest,
    record.outcome,
    record.reason,
    record.statusCode,
    record.requestId,
    record.traceId,
    record.dedupeKey,
    record.prevHash,
    record.hash,
  ]);
  return record;
}

export type VerifyResult = { ok: true; rows: number; headHash: string } | { ok: false; rows: number; brokenId: number; reason: string };

/**
 * Walks the whole chain in id order, `pageSize` rows per query, recomputing every hash. Returns
 * the first broken row: either its contents no longer match its hash (the row was edited, or its
 * hash replaced) or its prev_hash is not the previous row's hash (a row before it was deleted,
 * inserted or re-ordered). Truncating the newest rows is invisible to the chain alone; compare
 * `headHash` with a copy kept elsewhere to catch that.
 */
export async function verifyAuditChain(db: Queryable, options: { pageSize?: number } = {}): Promise<VerifyResult> {
  const pageSize = options.pageSize ?? 1000;
  let expectedPrev = GENESIS_HASH;
  let prevId: number | undefined;
  let afterId = 0;
  let rows = 0;
  for (;;) {
    const page = await db.query<AuditRow>(`select ${COLUMNS} from audit_log where id > $1 order by id limit $2`, [afterId, pageSize]);
    for (const raw of page) {
      const row = toRecord(raw);
      if (row.prevHash !== expectedPrev) {
        const before = prevId === undefined ? 'the chain start (genesis)' : `row ${prevId}`;
        return {
          ok: false,
          rows,
          brokenId: row.id,
          reason: `prev_hash does not match the hash of ${before}: a row between them was deleted, inserted or re-ordered`,
        };
      }
      if (rowHash(row) !== row.hash) {
        return { ok: false, rows, brokenId: row.id, reason: 'hash does not match the row contents: the row (or its hash) was modified' };
      }
      expectedPrev = row.hash;
      prevId = row.id;
      rows += 1;
    }
    const last = page[page.length - 1];
    if (!last || page.length < pageSize) return { ok: true, rows, headHash: expectedPrev };
    afterId = Number(last.id);
  }
}
