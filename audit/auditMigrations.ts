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
  {
    // One round trip per row instead of seven (BEGIN, isolation, lock, last hash, nextval, insert,
    // COMMIT), and the chain lock held for one statement instead of across them: every API replica
    // and worker serialises on that lock, so its hold time bounds mutating requests per second
    // (issue #16). The caller passes the canonical row cut around its three server-side values (id,
    // at, prev_hash) and the function hashes `prev_hash || canonical row` exactly as rowHash does;
    // the transactional path in auditLog.ts stays as the fallback.
    version: 301,
    name: 'audit_log_append_function',
    sql: `
      create function copilot_append_audit(
        p_parts text[], p_slots text[], p_subject text, p_subject_claimed boolean, p_roles text[], p_surface text,
        p_action text, p_target text, p_input_digest text, p_outcome text, p_reason text, p_status_code integer,
        p_request_id text, p_trace_id text, p_dedupe_key text, p_genesis text)
      returns setof audit_log
      language plpgsql volatile as $fn$
      declare
        v_prev text;
        v_id bigint;
        v_at timestamptz;
        v_at_text text;
        v_canonical text;
        i integer;
      begin
        if current_setting('transaction_isolation') <> 'read committed' then
          raise exception 'copilot_append_audit needs read committed, not %', current_setting('transaction_isolation')
            using errcode = 'CPA01';
        end if;
        if coalesce(array_length(p_parts, 1), 0) <> coalesce(array_length(p_slots, 1), 0) + 1 then
          raise exception 'copilot_append_audit: % parts for % slots', array_length(p_parts, 1), array_length(p_slots, 1);
        end if;
        perform pg_advisory_xact_lock(hashtextextended('copilot:audit_log', 0));
        if p_dedupe_key is not null then
          return query select * from audit_log where dedupe_key = p_dedupe_key;
          if found then return; end if;
        end if;
        select hash into v_prev from audit_log order by id desc limit 1;
        v_prev := coalesce(v_prev, p_genesis);
        v_id := nextval(pg_get_serial_sequence('audit_log', 'id'));
        -- Millisecond precision, as JavaScript reads it back (toRecord) and the verifier rehashes it.
        v_at := date_trunc('milliseconds', clock_timestamp());
        v_at_text := to_char(v_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
        v_canonical := p_parts[1];
        for i in 1 .. coalesce(array_length(p_slots, 1), 0) loop
          v_canonical := v_canonical || case p_slots[i]
            when 'id' then '"' || v_id::text || '"'
            when 'at' then '"' || v_at_text || '"'
            when 'prevHash' then '"' || v_prev || '"'
          end || p_parts[i + 1];
        end loop;
        return query
          insert into audit_log (id, at, subject, subject_claimed, roles, surface, action, target, input_digest, outcome,
                                 reason, status_code, request_id, trace_id, dedupe_key, prev_hash, hash)
          values (v_id, v_at, p_subject, p_subject_claimed, p_roles, p_surface, p_action, p_target, p_input_digest, p_outcome,
                  p_reason, p_status_code, p_request_id, p_trace_id, p_dedupe_key, v_prev,
                  encode(sha256(convert_to(v_prev || v_canonical, 'UTF8')), 'hex'))
          returning *;
      end;
      $fn$;
    `,
  },
];
