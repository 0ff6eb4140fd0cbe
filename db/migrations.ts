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
  {
    // One round trip per append instead of six (BEGIN, isolation, lock, read, insert, COMMIT): an
    // append sits on the path of every step, run, chat and approval event (issue #16). Same
    // algorithm as SqlEventStore's transactional path, which stays as the fallback.
    version: 2,
    name: 'run_events_append_function',
    sql: `
      create function copilot_append_events(p_stream text, p_types text[], p_data text[], p_keys text[], p_channel text)
      returns table (stream_id text, seq bigint, type text, data jsonb, created_at timestamptz, dedupe_key text)
      language plpgsql volatile as $fn$
      declare
        v_max bigint;
      begin
        -- Each statement below takes a fresh snapshot only under read committed; under a stricter
        -- level the read could miss rows committed while we waited for the lock. The caller then
        -- falls back to its explicit read-committed transaction.
        if current_setting('transaction_isolation') <> 'read committed' then
          raise exception 'copilot_append_events needs read committed, not %', current_setting('transaction_isolation')
            using errcode = 'CPA01';
        end if;
        perform pg_advisory_xact_lock(hashtextextended(p_stream, 0));
        select coalesce(max(e.seq), 0) into v_max from run_events e where e.stream_id = p_stream;
        -- Stored before under these keys (all at or below v_max).
        return query
          select e.stream_id, e.seq, e.type, e.data, e.created_at, e.dedupe_key
            from run_events e where e.stream_id = p_stream and e.dedupe_key = any(p_keys);
        -- The rest, first occurrence of each key, numbered on from v_max in input order.
        return query
          with wanted as (
            select t.type, t.data, t.dedupe_key, t.ord
              from unnest(p_types, p_data, p_keys) with ordinality as t(type, data, dedupe_key, ord)),
          firsts as (
            select distinct on (w.dedupe_key) w.* from wanted w
             where not exists (select 1 from run_events e where e.stream_id = p_stream and e.dedupe_key = w.dedupe_key)
             order by w.dedupe_key, w.ord),
          inserted as (
            insert into run_events (stream_id, seq, type, data, dedupe_key)
            select p_stream, v_max + row_number() over (order by f.ord), f.type, f.data::jsonb, f.dedupe_key from firsts f
            returning run_events.stream_id, run_events.seq, run_events.type, run_events.data, run_events.created_at, run_events.dedupe_key)
          select i.stream_id, i.seq, i.type, i.data, i.created_at, i.dedupe_key from inserted i;
        -- Delivered at commit, so a woken reader always finds the rows.
        if found then
          perform pg_notify(p_channel, p_stream);
        end if;
      end
      $fn$;
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
