import type { Migration } from '../db/migrations';

/**
 * The audit schema (versions 300–399, see db/migrations.ts). Works on Postgres 15 and PGlite.
 * `audit_log` is append-only: the code exposes no update or delete, and in production the table
 * should be owned by a role the application does not use, with the application role granted only
 * SELECT and INSERT (and USAGE on the id sequence), so even a compromised process cannot rewrite
 * history without breaking the hash chain that `npm run audit:verify` walks.
 * `dedupe_key` is unique (NULLs are distinct): at-least-once activities pass one, API rows do not.
 */
export const AUDIT_MIGRATIONS: readonly Migration[] = [
  {
    version: 300,
    name: 'audit_log',
    sql: `
      create table audit_log (
        id              bigserial   primary key,
        at              timestamptz not null,
        subject         text        not null,
        subject_claimed boolean     not null default false,
        roles           text[]      not null,
        surface         text        not null,
        action          text        not null,
        target          text,
        input_digest    text        not null,
        outcome         text        not null check (outcome in ('ok', 'refused', 'failed')),
        reason          text,
        status_code     integer,
        request_id      text,
        trace_id        text,
        dedupe_key      text        unique,
        prev_hash       text        not null,
        hash            text        not null
      );
      create index audit_log_subject_idx on audit_log (subject, id);
      create index audit_log_action_idx on audit_log (action, id);
      create index audit_log_target_idx on audit_log (target, id);
      create index audit_log_at_idx on audit_log (at, id);
    `,
  },
];
