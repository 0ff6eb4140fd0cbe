import type { Database } from '../../db/database';
import { iso } from './timestamps';
import type { FocusEntity, Turn, TurnRole } from '../types';

export interface Retention {
  /** How long turns and entities stay (default 24 h). */
  turnsMs: number;
  /** How long session/run/incident summaries stay (default 30 days). */
  summariesMs: number;
}

export type SummarySubject = 'session' | 'run' | 'incident';

interface MessageRow {
  role: TurnRole;
  content: string;
  created_at: Date;
}

/**
 * The medium-term tier in Postgres/PGlite: sessions, their messages and entities, and summaries.
 * Everything written is already redacted. Reads filter on `expires_at`, so expired rows are
 * invisible even before `purgeExpired` deletes them.
 */
export class SessionRepository {
  constructor(
    private readonly db: Database,
    private readonly retention: Retention,
    private readonly now: () => number = Date.now,
  ) {}

  private expiry(ms: number): string {
    return iso(this.now() + ms);
  }

  async ensureSession(sessionId: string, tenant: string, createdBy: string): Promise<void> {
    await this.db.query(
      `insert into memory_sessions (id, tenant, created_by) values ($1, $2, $3)
       on conflict (id) do update set updated_at = now()`,
      [sessionId, tenant, createdBy],
    );
  }

  async sessionOwner(sessionId: string): Promise<string | undefined> {
    const rows = await this.db.query<{ created_by: string }>('select created_by from memory_sessions where id = $1', [sessionId]);
    return rows[0]?.created_by;
  }

  async appendMessage(sessionId: string, turn: Turn, tokens: number): Promise<void> {
    await this.db.query(`insert into memory_messages (session_id, role, content, tokens, created_at, expires_at) values ($1, $2, $3, $4, $5, $6)`, [
      sessionId,
      turn.role,
      turn.content,
      tokens,
      iso(turn.at),
      this.expiry(this.retention.turnsMs),
    ]);
  }

  /** The last `limit` turns, oldest first (served by the (session_id, id desc) index). */
  async recentMessages(sessionId: string, limit: number): Promise<Turn[]> {
    const rows = await this.db.query<MessageRow>(
      `select role, content, created_at from memory_messages
       where session_id = $1 and expires_at > $2 order by id desc limit $3`,
      [sessionId, iso(this.now()), limit],
    );
    return rows.reverse().map((r) => ({ role: r.role, content: r.content, at: new Date(r.created_at).getTime() }));
  }

  async touchEntities(sessionId: string, entities: readonly FocusEntity[]): Promise<void> {
    for (const e of entities) {
      await this.db.query(
        `insert into memory_entities (session_id, type, value, last_seen, expires_at) values ($1, $2, $3, $4, $5)
         on conflict (session_id, type, value)
         do update set mentions = memory_entities.mentions + 1, last_seen = excluded.last_seen, expires_at = excluded.expires_at`,
        [sessionId, e.type, e.value, iso(e.at), this.expiry(this.retention.turnsMs)],
      );
    }
  }

  async entities(sessionId: string, limit: number): Promise<FocusEntity[]> {
    const rows = await this.db.query<{ type: string; value: string; last_seen: Date }>(
      `select type, value, last_seen from memory_entities where session_id = $1 and expires_at > $2
       order by last_seen desc limit $3`,
      [sessionId, iso(this.now()), limit],
    );
    return rows.map((r) => ({ type: r.type, value: r.value, at: new Date(r.last_seen).getTime() }));
  }

  async putSummary(subject: SummarySubject, subjectId: string, text: string): Promise<void> {
    await this.db.query(
      `insert into memory_summaries (subject, subject_id, text, expires_at) values ($1, $2, $3, $4)
       on conflict (subject, subject_id) do update set text = excluded.text, updated_at = now(), expires_at = excluded.expires_at`,
      [subject, subjectId, text, this.expiry(this.retention.summariesMs)],
    );
  }

  async getSummary(subject: SummarySubject, subjectId: string): Promise<string | undefined> {
    const rows = await this.db.query<{ text: string }>('select text from memory_summaries where subject = $1 and subject_id = $2 and expires_at > $3', [
      subject,
      subjectId,
      iso(this.now()),
    ]);
    return rows[0]?.text;
  }

  /** Forgets everything the medium tier holds about a session. Returns whether anything existed. */
  async forgetSession(sessionId: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const a = await tx.query('delete from memory_messages where session_id = $1 returning 1', [sessionId]);
      const b = await tx.query('delete from memory_entities where session_id = $1 returning 1', [sessionId]);
      const c = await tx.query(`delete from memory_summaries where subject = 'session' and subject_id = $1 returning 1`, [sessionId]);
      const d = await tx.query('delete from memory_sessions where id = $1 returning 1', [sessionId]);
      return a.length + b.length + c.length + d.length > 0;
    });
  }

  /** Retention: deletes expired rows; returns how many went. */
  async purgeExpired(): Promise<number> {
    const now = iso(this.now());
    let n = 0;
    for (const table of ['memory_messages', 'memory_entities', 'memory_summaries']) {
      n += (await this.db.query(`delete from ${table} where expires_at <= $1 returning 1`, [now])).length;
    }
    return n;
  }
}
