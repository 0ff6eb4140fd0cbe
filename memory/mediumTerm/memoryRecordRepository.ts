import type { Database } from '../../db/database';
import { iso } from './timestamps';
import type { MemoryKind, MemoryRecord } from '../types';

interface RecordRow {
  id: string;
  tenant: string;
  team: string | null;
  service: string | null;
  kind: MemoryKind;
  text: string;
  importance: number;
  created_by: string;
  session_id: string | null;
  created_at: Date;
  expires_at: Date;
}

function toRecord(r: RecordRow): MemoryRecord {
  return {
    id: r.id,
    text: r.text,
    kind: r.kind,
    scope: { tenant: r.tenant, ...(r.team ? { team: r.team } : {}), ...(r.service ? { service: r.service } : {}) },
    importance: Number(r.importance),
    createdBy: r.created_by,
    ...(r.session_id ? { sessionId: r.session_id } : {}),
    createdAt: new Date(r.created_at),
    expiresAt: new Date(r.expires_at),
  };
}

/**
 * The canonical copy of every long-term memory (GET /memories/:id, ownership for deletes). The
 * vector store holds the embedding plus a payload copy for filtering; deletes go to both.
 */
export class MemoryRecordRepository {
  constructor(
    private readonly db: Database,
    private readonly now: () => number = Date.now,
  ) {}

  async insert(records: readonly MemoryRecord[]): Promise<void> {
    if (records.length === 0) return;
    // One multi-row insert per call: the benchmark loads 100 K memories through here.
    const params: unknown[] = [];
    const rows = records.map((r) => {
      const base = params.length;
      params.push(
        r.id,
        r.scope.tenant,
        r.scope.team ?? null,
        r.scope.service ?? null,
        r.kind,
        r.text,
        r.importance,
        r.createdBy,
        r.sessionId ?? null,
        iso(r.createdAt),
        iso(r.expiresAt),
      );
      return `(${Array.from({ length: 11 }, (_, i) => `$${base + i + 1}`).join(', ')})`;
    });
    await this.db.query(
      `insert into memory_records (id, tenant, team, service, kind, text, importance, created_by, session_id, created_at, expires_at)
       values ${rows.join(', ')}`,
      params,
    );
  }

  async get(id: string): Promise<MemoryRecord | undefined> {
    const rows = await this.db.query<RecordRow>('select * from memory_records where id = $1 and expires_at > $2', [id, iso(this.now())]);
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  async getMany(ids: readonly string[]): Promise<Map<string, MemoryRecord>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db.query<RecordRow>('select * from memory_records where id = any($1::uuid[]) and expires_at > $2', [[...ids], iso(this.now())]);
    return new Map(rows.map((r) => [r.id, toRecord(r)]));
  }

  async delete(id: string): Promise<boolean> {
    return (await this.db.query('delete from memory_records where id = $1 returning 1', [id])).length > 0;
  }

  /** Ids of the memories a session produced, so forgetting the session removes their vectors too. */
  async deleteBySession(sessionId: string): Promise<string[]> {
    const rows = await this.db.query<{ id: string }>('delete from memory_records where session_id = $1 returning id', [sessionId]);
    return rows.map((r) => r.id);
  }

  async purgeExpired(): Promise<string[]> {
    const rows = await this.db.query<{ id: string }>('delete from memory_records where expires_at <= $1 returning id', [iso(this.now())]);
    return rows.map((r) => r.id);
  }
}
