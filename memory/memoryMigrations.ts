import type { Migration } from '../db/migrations';

/**
 * Medium-term memory schema (versions 100–199, owned by memory/). Vectors are NOT here: the vector
 * table needs the pgvector extension and the embedder's dimension, so memory/vector creates it at
 * start-up. Every table carries `expires_at` so retention is one indexed delete per table.
 */
export const MEMORY_MIGRATIONS: readonly Migration[] = [
  {
    version: 100,
    name: 'memory_medium_term',
    sql: `
      create table memory_sessions (
        id          text        primary key,
        tenant      text        not null,
        created_by  text        not null,
        created_at  timestamptz not null default now(),
        updated_at  timestamptz not null default now()
      );
      create index memory_sessions_updated on memory_sessions (updated_at);

      create table memory_messages (
        id          bigserial   primary key,
        session_id  text        not null,
        role        text        not null,
        content     text        not null,
        tokens      int         not null,
        created_at  timestamptz not null default now(),
        expires_at  timestamptz not null
      );
      -- "the last N turns of this session" and "forget this session"
      create index memory_messages_session on memory_messages (session_id, id desc);
      create index memory_messages_expiry on memory_messages (expires_at);

      create table memory_entities (
        session_id  text        not null,
        type        text        not null,
        value       text        not null,
        mentions    int         not null default 1,
        last_seen   timestamptz not null default now(),
        expires_at  timestamptz not null,
        primary key (session_id, type, value)
      );
      create index memory_entities_expiry on memory_entities (expires_at);

      -- Running summaries of sessions, and summaries of runs and incidents.
      create table memory_summaries (
        subject     text        not null,
        subject_id  text        not null,
        text        text        not null,
        created_at  timestamptz not null default now(),
        updated_at  timestamptz not null default now(),
        expires_at  timestamptz not null,
        primary key (subject, subject_id)
      );
      create index memory_summaries_expiry on memory_summaries (expires_at);

      -- The canonical long-term record; the vector store holds its embedding and a payload copy.
      create table memory_records (
        id          uuid        primary key,
        tenant      text        not null,
        team        text,
        service     text,
        kind        text        not null,
        text        text        not null,
        importance  real        not null,
        created_by  text        not null,
        session_id  text,
        created_at  timestamptz not null default now(),
        expires_at  timestamptz not null
      );
      create index memory_records_kind on memory_records (tenant, kind, created_at desc);
      create index memory_records_session on memory_records (session_id) where session_id is not null;
      create index memory_records_expiry on memory_records (expires_at);

      -- Implicit preference learning: how often a scope made the same choice.
      create table memory_choices (
        tenant      text        not null,
        scope_key   text        not null,
        choice      text        not null,
        value       text        not null,
        times       int         not null default 1,
        promoted    boolean     not null default false,
        last_at     timestamptz not null default now(),
        primary key (tenant, scope_key, choice, value)
      );
    `,
  },
];
