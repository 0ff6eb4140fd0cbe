import { summarisePromData, type PrometheusClient } from '../../adapters/prometheusClient';
import type { ResultSummary } from '../../adapters/summarise';
import { changeAround, riseWeight } from '../heuristics/changePoint';
import type { IncidentRepository } from '../incidentRepository';
import type { GatherRequest, GatherResult, Signal } from '../types';
import { EvidenceRecorder, scopeMatchers } from './evidenceRecorder';

/**
 * Metrics around the pivot: the alert's own expression(s), then per-service error rate, p95 latency
 * and CPU saturation (RED + USE in three queries). A service whose series rises after the pivot
 * becomes a signal. Metric and label names follow the common conventions (`http_requests_total`
 * with `status`, `http_request_duration_seconds_bucket`, a `service` label).
 */
export interface MetricsConfig {
  /** PromQL range-vector window in the templates (default 2m; tests use seconds). */
  rateWindow: string;
}

export async function gatherMetrics(prom: PrometheusClient | undefined, repo: IncidentRepository, req: GatherRequest, config: MetricsConfig): Promise<GatherResult> {
  if (!prom) return { queries: [], signals: [], missing: ['prometheus: not configured (PROMETHEUS_URL)'] };
  const rec = new EvidenceRecorder(repo, req, 'metrics');
  const start = new Date(req.start);
  const end = new Date(req.end);
  const pivot = new Date(req.pivot).getTime() / 1000;
  const step = Math.max(1, Math.floor((end.getTime() - start.getTime()) / 1000 / 200));
  const sel = scopeMatchers(req.scope);
  const w = config.rateWindow;
  const templates: { kind: Signal['kind']; query: string; base: number; max: number; what: string }[] = [
    { kind: 'error_rate', query: `sum by (service) (rate(http_requests_total{${['status=~"5.."', ...sel].join(',')}}[${w}]))`, base: 0.35, max: 0.6, what: 'error rate' },
    { kind: 'latency', query: `histogram_quantile(0.95, sum by (service, le) (rate(http_request_duration_seconds_bucket{${sel.join(',')}}[${w}])))`, base: 0.25, max: 0.45, what: 'p95 latency' },
    { kind: 'saturation', query: `max by (service) (rate(process_cpu_seconds_total{${sel.join(',')}}[${w}]))`, base: 0.1, max: 0.2, what: 'CPU' },
  ];
  const alertQueries = req.alertExprs.map((expr) => ({ kind: 'alert_expr' as const, query: expr, base: 0.15, max: 0.3, what: 'alert expression' }));
  const signals: Signal[] = [];
  await Promise.all(
    [...alertQueries, ...templates].map(async (t) => {
      const { record, value } = await rec.run(t.kind, 'promql', 'prometheus', t.query, () => prom.range(t.query, start, end, step), (r) => {
        const s = summarisePromData(r.data);
        return { summary: describe(s), body: { resultType: r.data.resultType, summary: s, raw: r.data } };
      }, { start, end, stepSeconds: step });
      if (!value) return;
      const summary = summarisePromData(value.data, { maxSeries: 50, maxPoints: 400 });
      for (const series of summary.series) {
        const service = series.labels.service;
        if (!service) continue;
        const change = changeAround(series.points, pivot);
        if (!change) continue;
        const weight = riseWeight(change, t.base, t.max);
        if (weight <= 0) continue;
        signals.push({
          kind: t.kind,
          service,
          weight,
          evidenceId: record.evidenceId,
          text: `${t.what} ${fmt(change.before)} → ${fmt(change.after)} (${fmt(change.ratio)}×) after the start`,
        });
      }
    }),
  );
  return { queries: rec.records, signals, missing: [...rec.missing] };
}

function fmt(x: number): string {
  return Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(3);
}

export function describe(s: ResultSummary): string {
  const top = s.series
    .slice(0, 3)
    .map((x) => `${JSON.stringify(x.labels)} max=${fmt(x.stats.max)} last=${fmt(x.stats.last)}`)
    .join('; ');
  return `${s.resultType}, ${s.seriesCount} series${s.truncated ? ' (summarised)' : ''}${top ? `: ${top}` : ''}`;
}
