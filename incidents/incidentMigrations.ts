import type { Migration } from '../db/migrations';

/**
 * The incidents schema (versions 200–299, see db/migrations.ts). Works on Postgres 15 and PGlite.
 * - `incidents`: the projection GET /api/v1/incidents reads (the workflow writes it after every
 *   change through an activity; `state` is the same JSON as the workflow's `incidentState` query).
 * - `incident_evidence`: every query the investigation ran with its raw (capped) result, so a
 *   person can audit and re-run it; history and state hold only the `id`.
 * - `incident_alerts`: Alertmanager group keys and alert instances (fingerprint + startsAt) per
 *   incident, for webhook dedupe.
 * - `incident_memory`: resolved incidents (root cause, fix, outcome) searched by the next one.
 * 201 adds `incident_evidence.time_range` (start, end, step): a range query cannot be re-run from
 * its text alone.
 */
export const INCIDENT_MIGRATIONS: readonly Migration[] = [
  {
    version: 200,
    name: 'incidents',
    sql: `
      create table incidents (
        incident_id text        primary key,
        title       text        not null,
        service     text,
        severity    text        not null,
        status      text        not null,
        source      text        not null,
        state       jsonb       not null,
        report      text,
        created_at  timestamptz not null default now(),
        updated_at  timestamptz not null default now()
      );
      create index incidents_status_idx on incidents (status, created_at desc);

      create table incident_evidence (
        evidence_id text        primary key,
        incident_id text        not null,
        kind        text        not null,
        language    text        not null,
        query       text        not null,
        backend     text        not null,
        ok          boolean     not null,
        summary     text        not null,
        body        jsonb,
        error       text,
        ran_at      timestamptz not null default now()
      );
      create index incident_evidence_incident_idx on incident_evidence (incident_id, ran_at);

      create table incident_alerts (
        incident_id text        not null,
        group_key   text        not null,
        fingerprint text        not null,
        starts_at   text        not null,
        open        boolean     not null default true,
        created_at  timestamptz not null default now(),
        primary key (fingerprint, starts_at)
      );
      create index incident_alerts_open_idx on incident_alerts (group_key) where open;

      create table incident_memory (
        incident_id text        primary key,
        service     text,
        title       text        not null,
        root_cause  text        not null,
        fix         text        not null,
        fix_worked  boolean,
        body        text        not null,
        resolved_at timestamptz not null default now()
      );
      create index incident_memory_service_idx on incident_memory (service);
    `,
  },
  {
    version: 201,
    name: 'incident evidence time range',
    sql: `alter table incident_evidence add column if not exists time_range jsonb;`,
  },
];
