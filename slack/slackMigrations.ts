import type { Migration } from '../db/migrations';

/**
 * The Slack surface's schema (versions 700–799, see db/migrations.ts). Works on Postgres and PGlite.
 * - `slack_users`: the admin-managed mapping Slack user → copilot subject + roles (SLACK_USERS in
 *   the environment is the other source and wins, see identity.ts).
 * - `slack_threads`: which chat session a Slack thread (or DM) continues, per Slack user.
 * - `slack_run_threads`: the thread a run was started from, so its progress and gates go there.
 * - `slack_messages`: every message the copilot posted, by a stable key (`gate/<run>/<gate>/thread`,
 *   `run/<run>/progress`, …), so updates after a restart find the message and a retried activity
 *   does not post it twice.
 */
export const SLACK_MIGRATIONS: readonly Migration[] = [
  {
    version: 700,
    name: 'slack_surface',
    sql: `
      create table slack_users (
        slack_user_id text        primary key,
        subject       text        not null,
        roles         jsonb       not null,
        updated_by    text        not null,
        updated_at    timestamptz not null default now()
      );
      create table slack_threads (
        thread_key    text        primary key,
        session_id    text        not null,
        channel       text        not null,
        thread_ts     text        not null,
        slack_user_id text        not null,
        created_at    timestamptz not null default now()
      );
      create table slack_run_threads (
        run_id     text        primary key,
        channel    text        not null,
        thread_ts  text        not null,
        created_at timestamptz not null default now()
      );
      create table slack_messages (
        message_key text        primary key,
        channel     text        not null,
        ts          text        not null,
        created_at  timestamptz not null default now(),
        updated_at  timestamptz not null default now()
      );
    `,
  },
];
