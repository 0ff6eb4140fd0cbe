import { flattenStreams, type LokiClient } from '../../adapters/lokiClient';
import { countPatterns, newPatterns } from '../heuristics/logPatterns';
import { wrapUntrusted } from '../heuristics/untrusted';
import type { IncidentRepository } from '../incidentRepository';
import type { GatherRequest, GatherResult, Signal } from '../types';
import { EvidenceRecorder, scopeMatchers } from './evidenceRecorder';
import { lokiLabels } from '../discovery/vocabulary';

/**
 * Error logs around the pivot from Loki, reduced to patterns; patterns that are new after the
 * pivot point at their stream's `service`. Log text is untrusted data: it is only ever quoted
 * (wrapUntrusted) and never interpreted.
 */
const ERROR_FILTER = '(?i)(error|exception|fatal|panic|timeout|refused|failed)';
/** Loki labels that name a service, in order of preference (discovered: the first one Loki has). */
const SERVICE_LABELS = ['service', 'service_name', 'app', 'app_kubernetes_io_name', 'job', 'container'];

export async function gatherLogs(loki: LokiClient | undefined, repo: IncidentRepository, req: GatherRequest): Promise<GatherResult> {
  if (!loki) return { queries: [], signals: [], missing: ['loki: not configured (LOKI_URL)'] };
  const rec = new EvidenceRecorder(repo, req, 'logs');
  const disc = new EvidenceRecorder(repo, req, 'logs-discovery');
  const known = await lokiLabels(loki, disc, req.incidentId, { start: new Date(req.start), end: new Date(req.end) });
  // Without an answer (or without any service-like label) keep the convention: `service`.
  const serviceLabel = SERVICE_LABELS.find((l) => known?.includes(l)) ?? 'service';
  const selector = [`${serviceLabel}=~".+"`, ...scopeMatchers(req.scope)].join(', ');
  const query = `{${selector}} |~ "${ERROR_FILTER}"`;
  const pivot = new Date(req.pivot).getTime() / 1000;
  const { record, value } = await rec.run(
    'logs',
    'logql',
    'loki',
    query,
    () => loki.queryRange(query, new Date(req.start), new Date(req.end), { limit: 2000 }),
    (r) => {
      const lines = flattenStreams(r.data);
      return {
        summary: `${lines.length} error lines in ${r.data.result.length} streams`,
        body: { resultType: r.data.resultType, lines: lines.slice(0, 500) },
        count: lines.length,
      };
    },
    { start: new Date(req.start), end: new Date(req.end) },
  );
  const signals: Signal[] = [];
  if (value) {
    const lines = flattenStreams(value.data).map((l) => ({ service: l.labels[serviceLabel] ?? '', line: l.line, tsSec: Number(BigInt(l.tsNs) / 1_000_000n) / 1000 }));
    const fresh = newPatterns(countPatterns(lines, pivot));
    const byService = new Map<string, typeof fresh>();
    for (const p of fresh) if (p.service) byService.set(p.service, [...(byService.get(p.service) ?? []), p]);
    for (const [service, patterns] of byService) {
      const total = patterns.reduce((n, p) => n + p.after, 0);
      signals.push({
        kind: 'logs',
        service,
        weight: Math.min(0.4, 0.2 + 0.05 * patterns.length),
        evidenceId: record.evidenceId,
        text: `${patterns.length} new error log pattern(s), ${total} lines, top: ${wrapUntrusted(patterns[0]?.pattern ?? '', 120)}`,
      });
    }
  }
  return { queries: [...rec.records, ...disc.records], signals, missing: [...new Set([...rec.missing, ...disc.missing])] };
}
