import { flattenStreams, summariseLokiMatrix, type LokiClient } from '../../adapters/lokiClient';
import { summarisePromData, type PrometheusClient } from '../../adapters/prometheusClient';
import type { TempoClient } from '../../adapters/tempoClient';
import { wrapUntrusted } from '../../incidents/heuristics/untrusted';
import type { GeneratedQuery } from '../model/types';

/**
 * Runs validated, read-only queries and reduces each result to a few lines shown beside the query.
 * Log lines and span names are untrusted text: they are only ever carried wrapped (`«untrusted: …»`),
 * so nothing downstream (templates, the LLM prompt) can mistake them for instructions.
 */
export interface QueryBackends {
  prometheus?: Pick<PrometheusClient, 'range'>;
  loki?: Pick<LokiClient, 'queryRange'>;
  tempo?: Pick<TempoClient, 'search'>;
}

export interface QueryOutcome {
  language: GeneratedQuery['language'];
  query: string;
  description?: string;
  ok: boolean;
  /** Human-readable result lines; untrusted parts already wrapped. */
  lines: string[];
  error?: string;
  /** Series count, log lines or traces found. */
  count: number;
}

const fmt = (v: number) => (!Number.isFinite(v) ? 'n/a' : Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3));

export async function runQuery(q: GeneratedQuery, backends: QueryBackends, now: number): Promise<QueryOutcome> {
  const base = { language: q.language, query: q.query, ...(q.description ? { description: q.description } : {}) };
  if (!q.valid) return { ...base, ok: false, lines: [], count: 0, error: `not run: ${q.error ?? 'the query does not parse'}` };
  const end = new Date(q.end ?? now);
  const start = new Date(q.start ?? now - 3_600_000);
  try {
    if (q.language === 'promql') {
      if (!backends.prometheus) return { ...base, ok: false, lines: [], count: 0, error: 'Prometheus is not configured (PROMETHEUS_URL)' };
      const step = Math.max(1, Math.round((end.getTime() - start.getTime()) / 1000 / 60));
      const res = await backends.prometheus.range(q.query, start, end, step);
      const summary = summarisePromData(res.data, { maxSeries: 5, maxPoints: 10 });
      const lines = summary.series.map((s) => {
        const labels = Object.entries(s.labels)
          .map(([k, v]) => `${k}="${v}"`)
          .join(', ');
        return `${labels ? `{${labels}} ` : ''}last ${fmt(s.stats.last)}, min ${fmt(s.stats.min)}, max ${fmt(s.stats.max)}, avg ${fmt(s.stats.avg)}`;
      });
      return { ...base, ok: true, lines, count: summary.seriesCount };
    }
    if (q.language === 'logql') {
      if (!backends.loki) return { ...base, ok: false, lines: [], count: 0, error: 'Loki is not configured (LOKI_URL)' };
      const res = await backends.loki.queryRange(q.query, start, end, { limit: 20 });
      const matrix = summariseLokiMatrix(res.data, { maxSeries: 5, maxPoints: 10 });
      if (matrix) return { ...base, ok: true, lines: matrix.series.map((s) => `last ${fmt(s.stats.last)}, max ${fmt(s.stats.max)}`), count: matrix.seriesCount };
      const lines = flattenStreams(res.data, 20);
      return {
        ...base,
        ok: true,
        count: lines.length,
        lines: lines.slice(0, 8).map((l) => `${new Date(Number(BigInt(l.tsNs) / 1_000_000n)).toISOString()} ${wrapUntrusted(l.line, 300)}`),
      };
    }
    if (!backends.tempo) return { ...base, ok: false, lines: [], count: 0, error: 'Tempo is not configured (TEMPO_URL)' };
    const traces = await backends.tempo.search(q.query, start, end, 10);
    return {
      ...base,
      ok: true,
      count: traces.length,
      lines: traces.slice(0, 5).map((t) => `trace ${t.traceID} ${wrapUntrusted(`${t.rootServiceName ?? '?'} ${t.rootTraceName ?? ''}`, 120)} ${t.durationMs ?? '?'} ms`),
    };
  } catch (err) {
    return { ...base, ok: false, lines: [], count: 0, error: (err as Error).message.slice(0, 300) };
  }
}
