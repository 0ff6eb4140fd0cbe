import { selfTimes, type Span, type TempoClient } from '../../adapters/tempoClient';
import type { IncidentRepository } from '../incidentRepository';
import type { GatherRequest, GatherResult, Signal } from '../types';
import { errorOrigins } from '../heuristics/errorOrigin';
import { EvidenceRecorder } from './evidenceRecorder';
import { tempoTags } from '../discovery/vocabulary';

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
  // Discovery: what Tempo knows (cached per investigation); traces without `service.name` cannot name a service.
  const disc = new EvidenceRecorder(repo, req, 'traces-discovery');
  const tags = await tempoTags(tempo, disc, req.incidentId);
  const queries = ['{ status = error }', '{ duration > 500ms }'];
  const found = await Promise.all(
    queries.map((q) =>
      rec.run(
        'traces',
        'traceql',
        'tempo',
        q,
        () => tempo.search(q, start, end, 20),
        (traces) => ({
          summary: `${traces.length} traces; roots: ${[...new Set(traces.map((t) => t.rootServiceName ?? '?'))].slice(0, 5).join(', ')}`,
          body: traces,
          count: traces.length,
        }),
        { start, end },
      ),
    ),
  );
  const ids = [
    ...new Set(
      found.flatMap((f) =>
        (f.value ?? [])
          .slice()
          .sort((a, b) => (b.durationMs ?? 0) - (a.durationMs ?? 0))
          .map((t) => t.traceID),
      ),
    ),
  ].slice(0, FETCH_TRACES);
  const spans: { evidenceId: string; spans: Span[] }[] = [];
  for (const id of ids) {
    const { record, value } = await rec.run(
      'traces',
      'traceql',
      'tempo',
      `trace ${id}`,
      () => tempo.trace(id),
      (s) => ({
        summary: `${s.length} spans, services: ${[...new Set(s.map((x) => x.service))].join(', ')}`,
        body: s.map((x) => ({ ...x, startNs: x.startNs.toString() })),
      }),
    );
    if (value) spans.push({ evidenceId: record.evidenceId, spans: value });
  }
  const signals: Signal[] = [];
  // The origin of each failure (deepest failing span), not the service with most error spans:
  // callers fail too, and their error rate rises as a symptom (heuristics/errorOrigin.ts).
  const origins = new Map<string, { n: number; evidenceId: string; callers: Set<string> }>();
  const slow = new Map<string, { ms: number; evidenceId: string; name: string }>();
  for (const t of spans) {
    const self = selfTimes(t.spans);
    for (const o of errorOrigins(t.spans)) {
      const entry = origins.get(o.service) ?? { n: 0, evidenceId: t.evidenceId, callers: new Set<string>() };
      entry.n += 1;
      for (const c of o.callers) entry.callers.add(c);
      origins.set(o.service, entry);
    }
    for (const s of t.spans) {
      const ms = self.get(s.spanId) ?? 0;
      if (ms > (slow.get(s.service)?.ms ?? 0)) slow.set(s.service, { ms, evidenceId: t.evidenceId, name: s.name });
    }
  }
  const topOrigin = [...origins.entries()].sort((a, b) => b[1].n - a[1].n)[0];
  if (topOrigin) {
    const [service, o] = topOrigin;
    const callers = [...o.callers].filter((c) => c !== service).slice(0, 10);
    signals.push({
      kind: 'traces',
      service,
      weight: 0.3,
      evidenceId: o.evidenceId,
      text: `errors originate in ${service} (deepest failing span, ${o.n} time(s) in the slowest failing traces)${callers.length ? `; callers: ${callers.join(', ')}` : ''}`,
      ...(callers.length ? { explains: callers } : {}),
    });
  }
  const topSlow = [...slow.entries()].sort((a, b) => b[1].ms - a[1].ms)[0];
  if (topSlow && topSlow[1].ms > 0) {
    signals.push({ kind: 'traces', service: topSlow[0], weight: 0.25, evidenceId: topSlow[1].evidenceId, text: `slowest span self-time ${topSlow[1].ms.toFixed(0)} ms` });
  }
  const notes = tags && tags.length > 0 && !tags.includes('service.name') ? ['tempo: no service.name tag, spans cannot be attributed to services'] : [];
  return { queries: [...rec.records, ...disc.records], signals, missing: [...new Set([...rec.missing, ...disc.missing, ...notes])] };
}
