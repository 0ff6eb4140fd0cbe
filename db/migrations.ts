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

export const MIGRATIONS: readonly Migration[] = [
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
