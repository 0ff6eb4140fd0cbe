import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { Link, useParams } from 'wouter';
import { ErrorText } from '../components/ErrorText';
import { Markdown } from '../components/Markdown';
import { Status, When } from '../components/Status';
import { TimeSeriesChart, type MatrixSeries } from '../components/TimeSeriesChart';
import { apiFetch, apiPost } from '../lib/api';
import type { Hypothesis, IncidentState, QueryRecord } from '../lib/types';
import { useEventLog } from '../lib/useEventLog';

/**
 * One incident: timeline (live), hypotheses with confidence and evidence links, PromQL results as
 * charts, log lines, notes / feedback / resolve / remediate, and the postmortem (sanitised markdown).
 * Alert text, log lines and notes are hostile input: always rendered as text (React escapes them).
 */
interface Evidence {
  record: QueryRecord;
  body: unknown;
}

function matrixOf(body: unknown): MatrixSeries[] {
  const b = body as { raw?: { resultType?: unknown; result?: unknown } } | null;
  const raw = b?.raw;
  return raw?.resultType === 'matrix' && Array.isArray(raw.result) ? (raw.result as MatrixSeries[]) : [];
}

function logLinesOf(body: unknown): { labels: Record<string, string>; line: string; tsNs?: string }[] {
  const b = body as { lines?: unknown } | null;
  return Array.isArray(b?.lines) ? (b.lines as { labels: Record<string, string>; line: string; tsNs?: string }[]) : [];
}

/**
 * The query results worth showing: PromQL and LogQL evidence (not discovery look-ups), one per
 * distinct query, the latest round that returned something (later rounds often widen into nothing).
 */
function plottable(queries: readonly QueryRecord[]): QueryRecord[] {
  const best = new Map<string, QueryRecord>();
  for (const q of queries) {
    if (!q.ok || q.kind === 'discovery' || (q.language !== 'promql' && q.language !== 'logql')) continue;
    const key = `${q.language}\n${q.query}`;
    const seen = best.get(key);
    const hasData = q.resultCount === undefined || q.resultCount > 0;
    if (!seen || hasData || seen.resultCount === 0) best.set(key, hasData || !seen ? q : seen);
  }
  return [...best.values()].slice(0, 16);
}

function useEvidence(incidentId: string, record: QueryRecord | undefined) {
  return useQuery({
    queryKey: ['evidence', incidentId, record?.evidenceId],
    enabled: record !== undefined && record.ok,
    queryFn: () => apiFetch<Evidence>(`/incidents/${incidentId}/evidence/${record!.evidenceId.split('/').map(encodeURIComponent).join('/')}`),
    staleTime: Infinity,
  });
}

function QueryResult({ incidentId, record }: { incidentId: string; record: QueryRecord }) {
  const evidence = useEvidence(incidentId, record);
  const series = matrixOf(evidence.data?.body);
  const lines = logLinesOf(evidence.data?.body);
  const window_ = useMemo(
    (): [number, number] | undefined => (record.range ? [Date.parse(record.range.start) / 1000, Date.parse(record.range.end) / 1000] : undefined),
    [record.range],
  );
  return (
    <div className="query-result" id={`ev-${record.evidenceId}`}>
      <p>
        <code>{record.language}</code> <code className="query">{record.query}</code> — {record.ok ? record.summary : <span className="error">{record.error}</span>}
      </p>
      {series.length > 0 && <TimeSeriesChart series={series} title={record.query} {...(window_ ? { range: window_ } : {})} />}
      {lines.length > 0 && (
        <pre className="log" data-testid="log-lines">
          {lines.slice(0, 200).map((l, i) => (
            <span key={i}>{`${l.tsNs ? new Date(Number(BigInt(l.tsNs) / 1_000_000n)).toISOString() : ''} ${Object.values(l.labels ?? {})
              .slice(0, 2)
              .join(' ')} ${l.line}\n`}</span>
          ))}
        </pre>
      )}
    </div>
  );
}

function HypothesisItem({ incidentId, h, onChanged }: { incidentId: string; h: Hypothesis; onChanged: () => void }) {
  const feedback = useMutation({
    mutationFn: (verdict: 'confirm' | 'reject') => apiPost(`/incidents/${incidentId}/feedback`, { hypothesisId: h.id, verdict }),
    onSuccess: onChanged,
  });
  return (
    <li className="card hypothesis" data-testid="hypothesis">
      <p>
        <strong>{h.service}</strong>: {h.statement}
      </p>
      <p>
        <meter min={0} max={1} value={h.confidence} aria-label="confidence" /> confidence {Math.round(h.confidence * 100)}%{h.source ? ` · ${h.source}` : ''}
        {h.feedback ? ` · ${h.feedback} by ${h.feedbackBy ?? '?'}` : ''}
      </p>
      {h.evidence.length > 0 && (
        <p className="evidence">
          evidence:{' '}
          {h.evidence.map((e) => (
            <a key={e} href={`#ev-${e}`} className="mono">
              {e.split('/').slice(-2).join('/')}
            </a>
          ))}
        </p>
      )}
      <div className="buttons">
        <button type="button" className="secondary" disabled={feedback.isPending} onClick={() => feedback.mutate('confirm')}>
          Confirm
        </button>
        <button type="button" className="secondary" disabled={feedback.isPending} onClick={() => feedback.mutate('reject')}>
          Reject
        </button>
      </div>
      <ErrorText error={feedback.error} />
    </li>
  );
}

export function IncidentPage() {
  const { incidentId } = useParams<{ incidentId: string }>();
  const client = useQueryClient();
  const { events } = useEventLog(`/incidents/${incidentId}/events`);
  const incident = useQuery({ queryKey: ['incident', incidentId], queryFn: () => apiFetch<IncidentState>(`/incidents/${incidentId}`) });
  const report = useQuery({ queryKey: ['incident-report', incidentId], queryFn: () => apiFetch<string>(`/incidents/${incidentId}/report`, { accept: 'text/markdown' }) });
  const refresh = () => {
    void client.invalidateQueries({ queryKey: ['incident', incidentId] });
    void client.invalidateQueries({ queryKey: ['incident-report', incidentId] });
  };
  // Each event of the investigation (new round, note, resolution) may change the state and report.
  useEffect(() => {
    void client.invalidateQueries({ queryKey: ['incident', incidentId] });
    void client.invalidateQueries({ queryKey: ['incident-report', incidentId] });
  }, [client, incidentId, events.length]);
  const [note, setNote] = useState('');
  const [resolution, setResolution] = useState('');
  const addNote = useMutation({
    mutationFn: () => apiPost(`/incidents/${incidentId}/notes`, { text: note }),
    onSuccess: () => {
      setNote('');
      refresh();
    },
  });
  const resolve = useMutation({ mutationFn: () => apiPost(`/incidents/${incidentId}/resolve`, resolution.trim() ? { resolution: resolution.trim() } : {}), onSuccess: refresh });
  const remediate = useMutation({ mutationFn: (actionId: string) => apiPost<{ runId: string }>(`/incidents/${incidentId}/remediate`, { actionId }), onSuccess: refresh });
  const s = incident.data;
  const charts = plottable(s?.queries ?? []);

  return (
    <div className="incident">
      <ErrorText error={incident.error} />
      {s && (
        <>
          <h1>
            {s.title} <Status value={s.severity} /> <Status value={s.status} />
          </h1>
          <p className="meta">
            <span className="mono">{s.incidentId}</span> · {s.source} · opened <When at={s.startedAt} />
            {s.service ? ` · service ${s.service}` : ''} · rounds {s.rounds} · queries {s.budget.queriesUsed}/{s.budget.queryLimit}
            {s.acknowledgedBy && ` · acknowledged by ${s.acknowledgedBy}`}
            {s.resolvedBy && ` · resolved by ${s.resolvedBy}`}
          </p>
          {s.alerts.length > 0 && (
            <section aria-label="Alerts">
              <h2>Alerts</h2>
              <ul>
                {s.alerts.map((a) => (
                  <li key={a.fingerprint}>
                    <strong>{a.alertname}</strong> {a.status} ·{' '}
                    {Object.entries(a.labels)
                      .map(([k, v]) => `${k}=${v}`)
                      .join(', ')}
                    {a.expr ? (
                      <>
                        {' '}
                        · <code>{a.expr}</code>
                      </>
                    ) : null}
                  </li>
                ))}
              </ul>
            </section>
          )}
          {s.missing.length > 0 && <p className="warning">Missing: {s.missing.join('; ')}</p>}
          <section aria-label="Hypotheses">
            <h2>Hypotheses</h2>
            {s.hypotheses.length === 0 && <p className="muted">None yet.</p>}
            <ol className="cards">
              {s.hypotheses.map((h) => (
                <HypothesisItem key={h.id} incidentId={incidentId} h={h} onChanged={refresh} />
              ))}
            </ol>
          </section>
          <section aria-label="Proposed actions">
            <h2>Proposed actions</h2>
            {s.actions.length === 0 && <p className="muted">None.</p>}
            <ul>
              {s.actions.map((a) => (
                <li key={a.id}>
                  <strong>{a.runbook}</strong> {JSON.stringify(a.params)} — {a.reason}{' '}
                  {a.runId ? (
                    <Link href={`/runs/${a.runId}`}>run {a.runId}</Link>
                  ) : (
                    <button type="button" disabled={remediate.isPending || s.status === 'resolved'} onClick={() => remediate.mutate(a.id)}>
                      Remediate
                    </button>
                  )}
                </li>
              ))}
            </ul>
            <ErrorText error={remediate.error} />
          </section>
          <section aria-label="Query results">
            <h2>Query results</h2>
            {charts.map((q) => (
              <QueryResult key={q.evidenceId} incidentId={incidentId} record={q} />
            ))}
          </section>
          <section aria-label="Notes">
            <h2>Notes</h2>
            <ul>
              {s.notes.map((n, i) => (
                <li key={i}>
                  <strong>{n.author}</strong> <When at={n.at} />: {n.text}
                </li>
              ))}
            </ul>
            <form
              onSubmit={(e: FormEvent) => {
                e.preventDefault();
                if (note.trim()) addNote.mutate();
              }}
            >
              <label htmlFor="note">Add a note</label>
              <textarea id="note" rows={2} value={note} maxLength={5000} onChange={(e) => setNote(e.target.value)} />
              <button type="submit" disabled={addNote.isPending || !note.trim()}>
                Add note
              </button>
            </form>
            <ErrorText error={addNote.error} />
          </section>
          {s.status !== 'resolved' && (
            <section aria-label="Resolve">
              <h2>Resolve</h2>
              <form
                onSubmit={(e: FormEvent) => {
                  e.preventDefault();
                  resolve.mutate();
                }}
              >
                <label htmlFor="resolution">Resolution</label>
                <input id="resolution" value={resolution} maxLength={5000} onChange={(e) => setResolution(e.target.value)} />
                <button type="submit" className="danger" disabled={resolve.isPending}>
                  Resolve
                </button>
              </form>
              <ErrorText error={resolve.error} />
            </section>
          )}
        </>
      )}
      <section aria-label="Timeline">
        <h2>Timeline</h2>
        <ol className="timeline">
          {events.map((e) => (
            <li key={e.seq}>
              <span className="mono">#{e.seq}</span> <When at={e.createdAt} /> <strong>{e.type}</strong>{' '}
              {typeof e.data.text === 'string' ? e.data.text : typeof e.data.summary === 'string' ? e.data.summary : ''}
            </li>
          ))}
        </ol>
      </section>
      <section aria-label="Postmortem">
        <h2>Postmortem {s?.reportReady ? '' : '(draft)'}</h2>
        {report.data !== undefined ? <Markdown source={report.data} /> : <ErrorText error={report.error} />}
      </section>
    </div>
  );
}
