import { MEMORY_MIGRATIONS } from '../memory/memoryMigrations';
import { INCIDENT_MIGRATIONS } from '../incidents/incidentMigrations';
import { AUDIT_MIGRATIONS } from '../audit/auditMigrations';
import { SLACK_MIGRATIONS } from '../slack/slackMigrations';
import { PLANNER_MIGRATIONS } from '../runbooks/planner/plannerMigrations';

/**
 * The schema, as an append-only list. Never edit or reorder a migration that has shipped: add a
 * new one with the next version. Each runs once, in its own transaction (so no
 * `CREATE INDEX CONCURRENTLY`), and must work on both Postgres and PGlite.
 * Statements are deliberately not `IF NOT EXISTS`: `schema_migrations` is what makes a re-run a
 * no-op, and a migration applied twice should fail loudly rather than half-apply.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Core schema: versions 1–99. Feature modules own their own ranges (memory 100–199, incidents 200–299). */
const CORE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'run_events',
    sql: `
      create table run_events (
        stream_id  text        not null,
        seq        bigint      not null,
        type       text        not null,
        data       jsonb       not null,
        dedupe_key text        not null,
        created_at timestamptz not null default now(),
        primary key (stream_id, seq),
        unique (stream_id, dedupe_key)
      );
    `,
  },
];

/** Every migration in version order; feature modules add their list here. */
export const MIGRATIONS: readonly Migration[] = [
  ...CORE_MIGRATIONS,
  ...MEMORY_MIGRATIONS,
  ...INCIDENT_MIGRATIONS,
  ...AUDIT_MIGRATIONS,
  ...SLACK_MIGRATIONS,
  ...PLANNER_MIGRATIONS,
].sort((a, b) => a.version - b.version);
