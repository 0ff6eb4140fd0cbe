import { BackendError } from '../../adapters/backendError';
import type { IncidentRepository } from '../incidentRepository';
import type { EvidenceKind, GatherRequest, QueryLanguage, QueryRange, QueryRecord } from '../types';

/**
 * Runs one query and records it — query text, language, backend, time, a one-line summary and the
 * raw (capped) body — so every conclusion can be audited and re-run. Failures are recorded too and
 * reported as "missing", never thrown: an investigation continues with what it has.
 */
export interface RecordedQuery<T> {
  record: QueryRecord;
  value?: T;
}

export class EvidenceRecorder {
  private n = 0;
  readonly missing = new Set<string>();
  readonly records: QueryRecord[] = [];

  constructor(
    private readonly repo: IncidentRepository,
    private readonly req: Pick<GatherRequest, 'incidentId' | 'round'>,
    private readonly prefix: string,
  ) {}

  async run<T>(
    kind: EvidenceKind,
    language: QueryLanguage,
    backend: string,
    query: string,
    fn: () => Promise<T>,
    summarise: (value: T) => { summary: string; body: unknown; count?: number },
    window?: { start: Date; end: Date; stepSeconds?: number },
  ): Promise<RecordedQuery<T>> {
    // Deterministic id: a retried activity overwrites its own rows instead of adding new ones.
    const evidenceId = `${this.req.incidentId}/${this.prefix}/r${this.req.round}/${kind}/${this.n++}`;
    const ranAt = new Date().toISOString();
    const range: QueryRange | undefined = window
      ? { start: window.start.toISOString(), end: window.end.toISOString(), ...(window.stepSeconds ? { stepSeconds: window.stepSeconds } : {}) }
      : undefined;
    try {
      const value = await fn();
      const { summary, body, count } = summarise(value);
      const record: QueryRecord = {
        evidenceId,
        kind,
        language,
        query,
        backend,
        ranAt,
        ok: true,
        summary: summary.slice(0, 500),
        ...(range ? { range } : {}),
        ...(count !== undefined ? { resultCount: count } : {}),
      };
      await this.repo.saveEvidence(this.req.incidentId, record, body);
      this.records.push(record);
      return { record, value };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (!(err instanceof BackendError) || err.transient || err.kind === 'circuit_open' || err.kind === 'not_configured') {
        this.missing.add(`${backend}: ${message}`.slice(0, 300));
      }
      const record: QueryRecord = { evidenceId, kind, language, query, backend, ranAt, ok: false, summary: 'failed', error: message.slice(0, 500), ...(range ? { range } : {}) };
      await this.repo.saveEvidence(this.req.incidentId, record, null);
      this.records.push(record);
      return { record };
    }
  }
}

/** `{a="1",b="2"}`-style matchers from the scope labels, values escaped for PromQL/LogQL. */
export function scopeMatchers(scope: Record<string, string>): string[] {
  return Object.entries(scope)
    .filter(([k]) => /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(k))
    .map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`);
}
