import type { Database } from '../db/database';
import { toJsonb } from '../db/sanitize';
import type { AlertRef, EvidenceKind, IncidentState, QueryLanguage, QueryRange, QueryRecord } from './types';

/**
 * Postgres access for incidents (tables in incidentMigrations.ts). The workflow is the writer of
 * record: it saves its state here after every change (through an activity), so the list/get API
 * reads one row instead of querying every workflow, and closed incidents stay readable.
 */
export interface IncidentRow {
  incidentId: string;
  title: string;
  service?: string;
  severity: string;
  status: string;
  source: string;
  createdAt: string;
  updatedAt: string;
}

export interface EvidenceBody {
  record: QueryRecord;
  body: unknown;
}

/** Raw bodies are capped: an audit needs the data, not a runaway query's 50 MB. */
const MAX_BODY_CHARS = 200_000;

interface StateRow {
  incident_id: string;
  title: string;
  service: string | null;
  severity: string;
  status: string;
  source: string;
  state: IncidentState;
  report: string | null;
  created_at: Date | string;
  updated_at: Date | string;
}

export class IncidentRepository {
  constructor(private readonly db: Database) {}

  async saveState(state: IncidentState, report?: string): Promise<void> {
    await this.db.query(
      `insert into incidents (incident_id, title, service, severity, status, source, state, report)
       values ($1, $2, $3, $4, $5, $6, $7::jsonb, $8)
       on conflict (incident_id) do update set title = excluded.title, service = excluded.service, severity = excluded.severity,
         status = excluded.status, state = excluded.state, report = coalesce(excluded.report, incidents.report), updated_at = now()
       where (incidents.state->>'version')::int <= (excluded.state->>'version')::int`,
      [state.incidentId, state.title, state.service ?? null, state.severity, state.status, state.source, toJsonb(state), report ?? null],
    );
  }

  async getState(incidentId: string): Promise<IncidentState | undefined> {
    const [row] = await this.db.query<StateRow>('select state from incidents where incident_id = $1', [incidentId]);
    return row?.state;
  }

  async getReport(incidentId: string): Promise<string | undefined> {
    const [row] = await this.db.query<{ report: string | null }>('select report from incidents where incident_id = $1', [incidentId]);
    return row?.report ?? undefined;
  }

  async list(options: { status?: string; service?: string; limit: number }): Promise<IncidentRow[]> {
    const rows = await this.db.query<StateRow>(
      `select incident_id, title, service, severity, status, source, created_at, updated_at from incidents
        where ($1::text is null or status = $1) and ($2::text is null or service = $2)
        order by created_at desc limit $3`,
      [options.status ?? null, options.service ?? null, options.limit],
    );
    return rows.map((r) => ({
      incidentId: r.incident_id,
      title: r.title,
      ...(r.service ? { service: r.service } : {}),
      severity: r.severity,
      status: r.status,
      source: r.source,
      createdAt: new Date(r.created_at).toISOString(),
      updatedAt: new Date(r.updated_at).toISOString(),
    }));
  }

  /** Idempotent (keyed by evidence id): a retried activity overwrites its own row. */
  async saveEvidence(incidentId: string, record: QueryRecord, body: unknown): Promise<void> {
    // toJsonb: bodies come from Prometheus/Loki/Tempo (any label or log line), and the cut below may split a surrogate pair.
    let json = toJsonb(body ?? null);
    if (json.length > MAX_BODY_CHARS) json = toJsonb({ truncated: true, originalChars: json.length, head: json.slice(0, MAX_BODY_CHARS) });
    await this.db.query(
      `insert into incident_evidence (evidence_id, incident_id, kind, language, query, backend, ok, summary, body, error, ran_at, time_range)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11, $12::jsonb)
       on conflict (evidence_id) do update set kind = excluded.kind, language = excluded.language, query = excluded.query,
         backend = excluded.backend, ok = excluded.ok, summary = excluded.summary, body = excluded.body,
         error = excluded.error, ran_at = excluded.ran_at, time_range = excluded.time_range`,
      [
        record.evidenceId,
        incidentId,
        record.kind,
        record.language,
        record.query,
        record.backend,
        record.ok,
        record.summary,
        json,
        record.error ?? null,
        record.ranAt,
        record.range ? toJsonb(record.range) : null,
      ],
    );
  }

  async getEvidence(incidentId: string, evidenceId: string): Promise<EvidenceBody | undefined> {
    const [row] = await this.db.query<{
      evidence_id: string;
      kind: EvidenceKind;
      language: QueryLanguage;
      query: string;
      backend: string;
      ok: boolean;
      summary: string;
      body: unknown;
      error: string | null;
      ran_at: Date | string;
      time_range: QueryRange | null;
    }>('select * from incident_evidence where incident_id = $1 and evidence_id = $2', [incidentId, evidenceId]);
    if (!row) return undefined;
    return {
      record: {
        evidenceId: row.evidence_id,
        kind: row.kind,
        language: row.language,
        query: row.query,
        backend: row.backend,
        ok: row.ok,
        summary: row.summary,
        ranAt: new Date(row.ran_at).toISOString(),
        ...(row.error ? { error: row.error } : {}),
        ...(row.time_range ? { range: row.time_range } : {}),
      },
      body: row.body,
    };
  }

  // --- Alertmanager dedupe -------------------------------------------------------------------

  async openIncidentForGroup(groupKey: string): Promise<string | undefined> {
    const [row] = await this.db.query<{ incident_id: string }>('select incident_id from incident_alerts where group_key = $1 and open order by created_at desc limit 1', [
      groupKey,
    ]);
    return row?.incident_id;
  }

  /** The incident that already saw this alert instance (fingerprint + startsAt), open or not. */
  async incidentForAlert(fingerprint: string, startsAt: string): Promise<string | undefined> {
    const [row] = await this.db.query<{ incident_id: string }>('select incident_id from incident_alerts where fingerprint = $1 and starts_at = $2', [fingerprint, startsAt]);
    return row?.incident_id;
  }

  async registerAlerts(incidentId: string, groupKey: string, alerts: Pick<AlertRef, 'fingerprint' | 'startsAt'>[]): Promise<void> {
    for (const a of alerts) {
      await this.db.query(
        `insert into incident_alerts (incident_id, group_key, fingerprint, starts_at) values ($1, $2, $3, $4)
         on conflict (fingerprint, starts_at) do nothing`,
        [incidentId, groupKey, a.fingerprint, a.startsAt],
      );
    }
  }

  async closeAlerts(incidentId: string): Promise<void> {
    await this.db.query('update incident_alerts set open = false where incident_id = $1', [incidentId]);
  }

  // --- Recent runs (deploys) ------------------------------------------------------------------

  /** run.started events with a `service` param in a time window, newest first. */
  async runsForServices(from: Date, to: Date, service?: string): Promise<{ runId: string; runbook: string; service: string; version?: string; at: string }[]> {
    const rows = await this.db.query<{ stream_id: string; data: { runbook?: string; params?: Record<string, unknown> }; created_at: Date | string }>(
      `select stream_id, data, created_at from run_events
        where type = 'run.started' and created_at between $1 and $2 and data->'params'->>'service' is not null
          and ($3::text is null or data->'params'->>'service' = $3)
        order by created_at desc limit 200`,
      [from.toISOString(), to.toISOString(), service ?? null],
    );
    return rows.map((r) => ({
      runId: r.stream_id,
      runbook: String(r.data.runbook ?? ''),
      service: typeof r.data.params?.service === 'string' ? r.data.params.service : '',
      ...(typeof r.data.params?.version === 'string' ? { version: r.data.params.version } : {}),
      at: new Date(r.created_at).toISOString(),
    }));
  }
}
