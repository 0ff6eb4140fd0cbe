import { summarisePromData, type PrometheusClient } from '../../adapters/prometheusClient';
import type { ResultSummary } from '../../adapters/summarise';
import { FAMILY_QUERIES, type FamilyQuery } from '../catalogue/families';
import { applicableQueries, renderQuery } from '../catalogue/render';
import { decomposeAlertExpression, satisfies } from '../discovery/alertExpression';
import { componentOf, identityText, matchesSelector } from '../discovery/identity';
import { matchService, promVocabulary, type ServiceMatch } from '../discovery/vocabulary';
import { changeAround, riseWeight } from '../heuristics/changePoint';
import type { IncidentRepository } from '../incidentRepository';
import type { GatherRequest, GatherResult, Signal } from '../types';
import { EvidenceRecorder, scopeMatchers } from './evidenceRecorder';

/**
 * Metrics around the pivot, in three steps:
 * 1. discovery (discovery/vocabulary.ts): which metric names and labels exist, and which selectors
 *    carry the incident's service (job, app, pod, …) — cached per investigation;
 * 2. the alert's own expression(s), re-evaluated over the window and taken apart
 *    (discovery/alertExpression.ts): the condition without its threshold says which series drive
 *    it, the operands of a ratio are queried on their own, the raw selectors' series name the
 *    components the alert is about;
 * 3. RED/USE queries from the catalogue (catalogue/families.ts) for the metric families that exist.
 * A component whose series moves the bad way after the pivot becomes a signal. When discovery is
 * impossible (the call failed) the project's own convention is queried as before.
 */
export interface MetricsConfig {
  /** PromQL range-vector window in the templates (default 2m; tests use seconds). */
  rateWindow: string;
}

/** Exporter metrics whose family names one component (`pg_*` → postgres): an alert on them is about it. */
const FIXED_COMPONENT = new Map(FAMILY_QUERIES.flatMap((q) => (q.component ? q.requires.map((m): [string, string] => [m, q.component!]) : [])));

/** Exporter metrics whose component one label names (`node_*` → the host's `instance`). */
const COMPONENT_LABEL = new Map(FAMILY_QUERIES.flatMap((q) => (q.componentLabel ? q.requires.map((m): [string, string] => [m, q.componentLabel!]) : [])));

/** Alert-expression series checked for "drives the alert" (the rest are summarised only). */
const MAX_DRIVERS = 5;

export async function gatherMetrics(prom: PrometheusClient | undefined, repo: IncidentRepository, req: GatherRequest, config: MetricsConfig): Promise<GatherResult> {
  if (!prom) return { queries: [], signals: [], missing: ['prometheus: not configured (PROMETHEUS_URL)'] };
  const rec = new EvidenceRecorder(repo, req, 'metrics');
  // Discovery calls are recorded too, listed after the queries they informed.
  const disc = new EvidenceRecorder(repo, req, 'metrics-discovery');
  const start = new Date(req.start);
  const end = new Date(req.end);
  const pivot = new Date(req.pivot).getTime() / 1000;
  const step = Math.max(1, Math.floor((end.getTime() - start.getTime()) / 1000 / 200));
  const sel = scopeMatchers(req.scope);
  const window = { start, end, stepSeconds: step };
  const notes: string[] = [];

  const vocab = await promVocabulary(prom, disc, req.incidentId);
  let service: ServiceMatch | undefined;
  if (vocab && req.service) {
    service = await matchService(prom, disc, req.incidentId, req.service, vocab.labels, { start: new Date(start.getTime() - 3600_000), end }, sel);
    // Only the incident's own service is "missing" when it has no series; a hypothesis being followed up is not.
    if (req.serviceKnown && service && service.selectors.length === 0) {
      notes.push(`prometheus: no series for service "${req.service}" (tried ${service.tried.slice(0, 6).join(', ')}${service.tried.length > 6 ? ', …' : ''})`);
    }
  }
  // A series of the incident's service is named after it, whatever label carries the name; a
  // family that fixes its component (or the label naming it) wins over that.
  const nameOf = (labels: Record<string, string>, fixed?: string, byLabel?: string): string | undefined => {
    if (fixed) return fixed;
    if (byLabel && labels[byLabel]) return labels[byLabel];
    return service?.selectors.some((s) => matchesSelector(labels, s)) ? service.service : componentOf(labels);
  };

  const range = (query: string) => prom.range(query, start, end, step);
  const summarised = (r: Awaited<ReturnType<typeof range>>) => {
    const s = summarisePromData(r.data);
    return { summary: describe(s), body: { resultType: r.data.resultType, summary: s, raw: r.data }, count: s.seriesCount };
  };
  const signals: Signal[] = [];

  const alertWork = req.alertExprs.map(async (expr) => {
    const parts = decomposeAlertExpression(expr);
    const fixed = parts.selectors.map((x) => (x.metric ? FIXED_COMPONENT.get(x.metric) : undefined)).find(Boolean);
    const byLabel = parts.selectors.map((x) => (x.metric ? COMPONENT_LABEL.get(x.metric) : undefined)).find(Boolean);
    // The alert expression as written: the series that fire (existing weight).
    const { record, value } = await rec.run('alert_expr', 'promql', 'prometheus', expr, () => range(expr), summarised, window);
    if (value) {
      for (const series of summarisePromData(value.data, { maxSeries: 50, maxPoints: 400 }).series) {
        const who = nameOf(series.labels, fixed, byLabel);
        const change = who ? changeAround(series.points, pivot) : undefined;
        const weight = change ? riseWeight(change, 0.15, 0.3) : 0;
        if (who && change && weight > 0)
          signals.push({
            kind: 'alert_expr',
            service: who,
            weight,
            evidenceId: record.evidenceId,
            text: `alert expression ${fmt(change.before)} → ${fmt(change.after)} (${fmt(change.ratio)}×) after the start`,
          });
      }
    }
    if (parts.condition) {
      const c = parts.condition;
      const cond = await rec.run('alert_expr', 'promql', 'prometheus', c.expr, () => range(c.expr), summarised, window);
      const drivers = cond.value
        ? summarisePromData(cond.value.data, { maxSeries: 50, maxPoints: 400 })
            .series.map((s) => ({ s, change: changeAround(s.points, pivot) }))
            .filter((x) => x.change && satisfies(x.change.after, c) && !(x.change.before !== 0 && satisfies(x.change.before, c)))
            .slice(0, MAX_DRIVERS)
        : [];
      for (const { s, change } of drivers) {
        const who = nameOf(s.labels, fixed, byLabel);
        if (!who || !change) continue;
        signals.push({
          kind: 'alert_expr',
          service: who,
          weight: 0.2,
          evidenceId: cond.record.evidenceId,
          text: `drives the alert: ${identityText(s.labels)} at ${fmt(change.after)} (${c.op} ${c.threshold}; ${fmt(change.before)} before)`,
        });
      }
    }
    await Promise.all(parts.parts.map((p) => rec.run('alert_expr', 'promql', 'prometheus', p, () => range(p), summarised, window)));
    // The raw selectors' series: which services/instances the alert's metrics are about.
    await Promise.all(
      parts.selectors.slice(0, 4).map((s) =>
        disc.run(
          'discovery',
          'promql',
          'prometheus',
          `series(${s.text})`,
          () => prom.series([s.text], start, end, 200),
          (series) => ({
            summary: `${series.length} series; ${[...new Set(series.map((x) => identityText(x)))].slice(0, 5).join('; ')}`,
            body: series.slice(0, 200),
            count: series.length,
          }),
          window,
        ),
      ),
    );
  });

  const catalogue: readonly FamilyQuery[] = vocab ? applicableQueries(vocab.metrics) : FAMILY_QUERIES.filter((q) => q.family === 'convention');
  const familyWork = catalogue.map(async (t) => {
    const query = renderQuery(t.query, sel, config.rateWindow);
    const { record, value } = await rec.run(t.kind, 'promql', 'prometheus', query, () => range(query), summarised, window);
    if (!value) return;
    for (const series of summarisePromData(value.data, { maxSeries: 50, maxPoints: 400 }).series) {
      const who = nameOf(series.labels, t.component, t.componentLabel);
      if (!who) continue;
      // "Drop" families are 0/1 availability gauges: a fall to 0 is a rise of 1 − v.
      const points = t.change === 'drop' ? series.points.map(([ts, v]): [number, number] => [ts, 1 - v]) : series.points;
      const change = changeAround(points, pivot);
      if (!change || (t.minAfter !== undefined && change.after < t.minAfter)) continue;
      const weight = riseWeight(t.share ? { ...change, ratio: Math.max(change.ratio, headroomRatio(change)) } : change, t.base, t.max);
      if (weight <= 0) continue;
      const [before, after] = t.change === 'drop' ? [1 - change.before, 1 - change.after] : [change.before, change.after];
      const where = t.component || identityText(series.labels) !== `service="${who}"` ? ` (${identityText(series.labels)})` : '';
      signals.push({
        kind: t.kind,
        service: who,
        weight,
        evidenceId: record.evidenceId,
        text: `${t.cause} ${fmt(before)} → ${fmt(after)}${t.change === 'rise' ? ` (${fmt(change.ratio)}×)` : ''} after the start${where}`,
      });
    }
  });
  await Promise.all([...alertWork, ...familyWork]);
  if (vocab && catalogue.length === 0) notes.push(`prometheus: none of the ${FAMILY_QUERIES.length} catalogue metric families exists (${vocab.metrics.size} metric names)`);
  return { queries: [...rec.records, ...disc.records], signals, missing: [...new Set([...rec.missing, ...disc.missing, ...notes])] };
}

/** How many times less headroom a share (0..1) has after the start than before (floored like the rise ratio). */
function headroomRatio(change: { before: number; after: number }, floor = 1e-3): number {
  return (Math.max(0, 1 - change.before) + floor) / (Math.max(0, 1 - change.after) + floor);
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
