import type { Migration } from '../../db/migrations';

/**
 * The planner's schema (versions 800–899, see db/migrations.ts). Works on Postgres and PGlite.
 * `runbook_drafts`: runbooks the planner composed, kept until a human starts or promotes them.
 * `digest` is the content hash of `definition` (domain/approvalDigest.ts `runbookVersion`), so a
 * draft's digest is the version a run of it (and its approval gates) will show. `goal` is stored
 * redacted, as it was sent to the model.
 */
export const PLANNER_MIGRATIONS: readonly Migration[] = [
  {
    version: 800,
    name: 'runbook_drafts',
    sql: `
      create table runbook_drafts (
        id            text        primary key,
        goal          text        not null,
        definition    jsonb       not null,
        digest        text        not null,
        created_by    text        not null,
        created_at    timestamptz not null default now(),
        status        text        not null default 'draft' check (status in ('draft', 'promoted', 'discarded')),
        promoted_by   text,
        promoted_at   timestamptz,
        promoted_file text
      );
      create index runbook_drafts_created_at on runbook_drafts (created_at desc);
    `,
  },
];
