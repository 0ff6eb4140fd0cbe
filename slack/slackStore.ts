import type { Queryable } from '../db/database';
import { Role } from '../domain/roles';

/**
 * SQL for the Slack tables (slackMigrations.ts). Used by the API (user mapping routes, identity)
 * and by the worker's Slack activities (threads, posted messages).
 */
export interface SlackUserMapping {
  slackUserId: string;
  subject: string;
  roles: Role[];
  updatedBy: string;
  updatedAt: string;
}

export interface PostedMessage {
  channel: string;
  ts: string;
}

export interface SlackThread {
  sessionId: string;
  channel: string;
  threadTs: string;
  slackUserId: string;
}

type UserRow = { slack_user_id: string; subject: string; roles: unknown; updated_by: string; updated_at: string | Date };

function userFrom(row: UserRow): SlackUserMapping {
  const roles = Array.isArray(row.roles) ? row.roles.filter((r): r is Role => Role.safeParse(r).success) : [];
  return { slackUserId: row.slack_user_id, subject: row.subject, roles, updatedBy: row.updated_by, updatedAt: new Date(row.updated_at).toISOString() };
}

export class SlackStore {
  constructor(private readonly db: Queryable) {}

  async listUsers(): Promise<SlackUserMapping[]> {
    const rows = await this.db.query<UserRow>('select * from slack_users order by slack_user_id');
    return rows.map(userFrom);
  }

  async getUser(slackUserId: string): Promise<SlackUserMapping | undefined> {
    const rows = await this.db.query<UserRow>('select * from slack_users where slack_user_id = $1', [slackUserId]);
    return rows[0] ? userFrom(rows[0]) : undefined;
  }

  async putUser(slackUserId: string, subject: string, roles: Role[], updatedBy: string): Promise<{ mapping: SlackUserMapping; created: boolean }> {
    const rows = await this.db.query<UserRow & { inserted: boolean }>(
      `insert into slack_users (slack_user_id, subject, roles, updated_by) values ($1, $2, $3::jsonb, $4)
       on conflict (slack_user_id) do update set subject = excluded.subject, roles = excluded.roles, updated_by = excluded.updated_by, updated_at = now()
       returning *, (xmax = 0) as inserted`,
      [slackUserId, subject, JSON.stringify(roles), updatedBy],
    );
    const row = rows[0]!;
    return { mapping: userFrom(row), created: row.inserted === true };
  }

  async deleteUser(slackUserId: string): Promise<boolean> {
    const rows = await this.db.query('delete from slack_users where slack_user_id = $1 returning slack_user_id', [slackUserId]);
    return rows.length > 0;
  }

  async thread(threadKey: string): Promise<SlackThread | undefined> {
    const rows = await this.db.query<{ session_id: string; channel: string; thread_ts: string; slack_user_id: string }>(
      'select session_id, channel, thread_ts, slack_user_id from slack_threads where thread_key = $1',
      [threadKey],
    );
    const row = rows[0];
    return row ? { sessionId: row.session_id, channel: row.channel, threadTs: row.thread_ts, slackUserId: row.slack_user_id } : undefined;
  }

  async threadOfSession(sessionId: string): Promise<SlackThread | undefined> {
    const rows = await this.db.query<{ session_id: string; channel: string; thread_ts: string; slack_user_id: string }>(
      'select session_id, channel, thread_ts, slack_user_id from slack_threads where session_id = $1 limit 1',
      [sessionId],
    );
    const row = rows[0];
    return row ? { sessionId: row.session_id, channel: row.channel, threadTs: row.thread_ts, slackUserId: row.slack_user_id } : undefined;
  }

  /** First writer wins: a concurrent creator gets the stored thread back (its own session stays unused). */
  async claimThread(threadKey: string, thread: SlackThread): Promise<SlackThread> {
    await this.db.query(
      `insert into slack_threads (thread_key, session_id, channel, thread_ts, slack_user_id) values ($1, $2, $3, $4, $5)
       on conflict (thread_key) do nothing`,
      [threadKey, thread.sessionId, thread.channel, thread.threadTs, thread.slackUserId],
    );
    return (await this.thread(threadKey))!;
  }

  /** The thread's session ended: the next message starts a new one in its place. */
  async replaceThread(threadKey: string, sessionId: string): Promise<void> {
    await this.db.query('update slack_threads set session_id = $2 where thread_key = $1', [threadKey, sessionId]);
  }

  async setRunThread(runId: string, channel: string, threadTs: string): Promise<void> {
    await this.db.query('insert into slack_run_threads (run_id, channel, thread_ts) values ($1, $2, $3) on conflict (run_id) do nothing', [runId, channel, threadTs]);
  }

  async runThread(runId: string): Promise<PostedMessage | undefined> {
    const rows = await this.db.query<{ channel: string; thread_ts: string }>('select channel, thread_ts from slack_run_threads where run_id = $1', [runId]);
    return rows[0] ? { channel: rows[0].channel, ts: rows[0].thread_ts } : undefined;
  }

  async message(key: string): Promise<PostedMessage | undefined> {
    const rows = await this.db.query<{ channel: string; ts: string }>('select channel, ts from slack_messages where message_key = $1', [key]);
    return rows[0];
  }

  async messagesWithPrefix(prefix: string): Promise<(PostedMessage & { key: string })[]> {
    const rows = await this.db.query<{ message_key: string; channel: string; ts: string }>(
      'select message_key, channel, ts from slack_messages where starts_with(message_key, $1) order by message_key',
      [prefix],
    );
    return rows.map((r) => ({ key: r.message_key, channel: r.channel, ts: r.ts }));
  }

  async recordMessage(key: string, message: PostedMessage): Promise<void> {
    await this.db.query('insert into slack_messages (message_key, channel, ts) values ($1, $2, $3) on conflict (message_key) do update set updated_at = now()', [
      key,
      message.channel,
      message.ts,
    ]);
  }
}
