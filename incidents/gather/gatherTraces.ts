import { selfTimes, type Span, type TempoClient } from '../../adapters/tempoClient';
import type { IncidentRepository } from '../incidentRepository';
import type { GatherRequest, GatherResult, Signal } from '../types';
import { EvidenceRecorder } from './evidenceRecorder';

/**
 * Failing and slowest traces from Tempo (TraceQL), then the few slowest fetched in full: the
 * service owning the most error spans, and the one with the largest span self-time, are signals.
 * Blaming self-time rather than duration avoids always blaming the root (the gateway).
 */
const FETCH_TRACES = 5;

export async function gatherTraces(tempo: TempoClient | undefined, repo: IncidentRepository, req: GatherRequest): Promise<GatherResult> {
  if (!tempo) return { queries: [], signals: [], missing: ['tempo: not configured (TEMPO_URL)'] };
  const rec = new EvidenceRecorder(repo, req, 'traces');
  const start = new Date(req.pivot);
  const end = new Date(req.end);
  const queries = ['{ status = error }', '{ duration > 500ms }'];
  const found = await Promise.all(
    queries.map((q) =>
      rec.run('traces', 'traceql', 'tempo', q, () => tempo.search(q, start, end, 20), (traces) => ({
        summary: `${traces.length} traces; roots: ${[...new Set(traces.map((t) => t.rootServiceName ?? '?'))].slice(0, 5).join(', ')}`,
        body: traces,
      }), { start, end }),
    ),
  );
  const ids = [...new Set(found.flatMap((f) => (f.value ?? []).slice().sort((a, b) => (b.durationMs ?? 0) - (a.durationMs ?? 0)).map((t) => t.traceID)))].slice(0, FETCH_TRACES);
  const spans: { evidenceId: string; spans: Span[] }[] = [];
  for (const id of ids) {
    const { record, value } = await rec.run('traces', 'traceql', 'tempo', `trace ${id}`, () => tempo.trace(id), (s) => ({
      summary: `${s.length} spans, services: ${[...new Set(s.map((x) => x.service))].join(', ')}`,
      body: s.map((x) => ({ ...x, startNs: x.startNs.toString() })),
    }));
    if (value) spans.push({ evidenceId: record.evidenceId, spans: value });
  }
  const signals: Signal[] = [];
  const errors = new Map<string, { n: number; evidenceId: string }>();
  const slow = new Map<string, { ms: number; evidenceId: string; name: string }>();
  for (const t of spans) {
    const self = selfTimes(t.spans);
    for (const s of t.spans) {
      if (s.error) errors.set(s.service, { n: (errors.get(s.service)?.n ?? 0) + 1, evidenceId: t.evidenceId });
      const ms = self.get(s.spanId) ?? 0;
      if (ms > (slow.get(s.service)?.ms ?? 0)) slow.set(s.service, { ms, evidenceId: t.evidenceId, name: s.name });
    }
  }
  // Errors propagate upwards; the deepest failing service (most error spans that are leaves) is
  // approximated by the service with the most error spans.
  const topError = [...errors.entries()].sort((a, b) => b[1].n - a[1].n)[0];
  if (topError) signals.push({ kind: 'traces', service: topError[0], weight: 0.3, evidenceId: topError[1].evidenceId, text: `${topError[1].n} error spans in the slowest failing traces` });
  const topSlow = [...slow.entries()].sort((a, b) => b[1].ms - a[1].ms)[0];
  if (topSlow && topSlow[1].ms > 0) {
    signals.push({ kind: 'traces', service: topSlow[0], weight: 0.25, evidenceId: topSlow[1].evidenceId, text: `slowest span self-time ${topSlow[1].ms.toFixed(0)} ms` });
  }
  return { queries: rec.records, signals, missing: [...rec.missing] };
}
