import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { flattenStreams, summariseLokiMatrix } from '../adapters/lokiClient';
import { summarisePromData } from '../adapters/prometheusClient';
import { BackendError } from '../adapters/backendError';
import { HttpProblem } from '../api/problem';
import { checkQuery } from '../chat/query/grammar';
import type { QueryLanguage } from '../chat/model/types';
import { wrapUntrusted } from '../incidents/heuristics/untrusted';
import type { McpDeps } from './mcpDeps';
import type { CallContext } from './toolCall';
import { registerGuardedTool } from './toolRegistry';

/**
 * Read-only PromQL / LogQL / TraceQL through the adapters (breakers, retries, deadlines) the chat
 * and the investigations use. Every query is parsed with the official grammar (chat/query/grammar.ts)
 * before it may reach a backend: one that does not parse is a tool error naming `query`. The query
 * languages themselves cannot write. Log lines and span names come from monitored systems and are
 * returned wrapped as untrusted text («untrusted: …»).
 */
const MAX_QUERY_CHARS = 2000;

export const ObservabilityQueryInput = z.strictObject({
  query: z.string().trim().min(1, 'must not be empty').max(MAX_QUERY_CHARS),
  minutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(60)
    .describe('How far back from `end` the range starts'),
  end: z.iso.datetime({ offset: true }).optional().describe('End of the range (ISO 8601); default: now'),
});
type QueryInput = z.output<typeof ObservabilityQueryInput>;

const Range = z.object({ start: z.string(), end: z.string() });
const SeriesOut = z.object({
  labels: z.record(z.string(), z.string()),
  stats: z.object({ min: z.number(), max: z.number(), avg: z.number(), first: z.number(), last: z.number(), count: z.number() }),
  points: z.array(z.tuple([z.number(), z.number()])),
});

function rangeOf(input: QueryInput): { start: Date; end: Date } {
  const end = input.end ? new Date(input.end) : new Date();
  return { start: new Date(end.getTime() - input.minutes * 60_000), end };
}

function parsed(language: QueryLanguage, query: string): void {
  const check = checkQuery(language, query);
  if (!check.valid) {
    throw new HttpProblem(400, 'query-invalid', `the ${language} query does not parse`, [{ path: 'query', message: check.error ?? 'does not parse' }]);
  }
}

/** Adapter failures as problems: the query's fault is a 400 on `query`, the rest say the backend is unavailable. */
async function backend<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (!(err instanceof BackendError)) throw err;
    if (err.kind === 'invalid') throw new HttpProblem(400, 'query-invalid', err.message.slice(0, 500), [{ path: 'query', message: 'was refused by the backend' }]);
    throw new HttpProblem(503, 'backend-unavailable', err.message.slice(0, 500));
  }
}

function unavailable(what: string, variable: string): HttpProblem {
  return new HttpProblem(503, 'backend-not-configured', `${what} is not configured on this server (${variable})`);
}

/** JSON has no NaN or Infinity: such statistics are dropped to null-free zeros rather than failing the answer. */
const finite = (v: number) => (Number.isFinite(v) ? v : 0);

const readOnly = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true } as const;

export function registerObservabilityTools(server: McpServer, ctx: CallContext, deps: McpDeps): void {
  registerGuardedTool(
    server,
    ctx,
    {
      name: 'query_metrics',
      title: 'Query metrics (PromQL)',
      description: 'Runs a read-only PromQL range query on Prometheus. Returns per-series statistics and downsampled points (at most 20 series, the largest by peak).',
      input: ObservabilityQueryInput,
      output: z.object({
        query: z.string(),
        range: Range,
        stepSeconds: z.number(),
        resultType: z.string(),
        seriesCount: z.number().int(),
        truncated: z.boolean(),
        series: z.array(SeriesOut),
        warnings: z.array(z.string()),
      }),
      annotations: readOnly,
      policy: { roles: ['viewer'], action: 'mcp.query_metrics' },
    },
    async (input) => {
      parsed('promql', input.query);
      if (!deps.backends.prometheus) throw unavailable('Prometheus', 'PROMETHEUS_URL');
      const { start, end } = rangeOf(input);
      const stepSeconds = Math.max(1, Math.ceil((end.getTime() - start.getTime()) / 1000 / 240));
      const prometheus = deps.backends.prometheus;
      const res = await backend(() => prometheus.range(input.query, start, end, stepSeconds));
      const summary = summarisePromData(res.data, { maxSeries: 20, maxPoints: 60 });
      return {
        query: input.query,
        range: { start: start.toISOString(), end: end.toISOString() },
        stepSeconds,
        resultType: summary.resultType,
        seriesCount: summary.seriesCount,
        truncated: summary.truncated,
        series: summary.series.map((s) => ({
          labels: s.labels,
          stats: { min: finite(s.stats.min), max: finite(s.stats.max), avg: finite(s.stats.avg), first: finite(s.stats.first), last: finite(s.stats.last), count: s.stats.count },
          points: s.points.filter(([, v]) => Number.isFinite(v)),
        })),
        warnings: res.warnings,
      };
    },
  );

  registerGuardedTool(
    server,
    ctx,
    {
      name: 'query_logs',
      title: 'Query logs (LogQL)',
      description: 'Runs a read-only LogQL query on Loki: log lines (newest first, at most 100, each wrapped as untrusted text) or, for a metric query, series statistics.',
      input: ObservabilityQueryInput,
      output: z.object({
        query: z.string(),
        range: Range,
        resultType: z.string(),
        lines: z.array(z.object({ time: z.string(), labels: z.record(z.string(), z.string()), line: z.string() })),
        series: z.array(SeriesOut),
      }),
      annotations: readOnly,
      policy: { roles: ['viewer'], action: 'mcp.query_logs' },
    },
    async (input) => {
      parsed('logql', input.query);
      if (!deps.backends.loki) throw unavailable('Loki', 'LOKI_URL');
      const { start, end } = rangeOf(input);
      const loki = deps.backends.loki;
      const res = await backend(() => loki.queryRange(input.query, start, end, { limit: 100, direction: 'backward' }));
      const matrix = summariseLokiMatrix(res.data, { maxSeries: 20, maxPoints: 60 });
      const base = { query: input.query, range: { start: start.toISOString(), end: end.toISOString() }, resultType: res.data.resultType };
      if (matrix) {
        return {
          ...base,
          lines: [],
          series: matrix.series.map((s) => ({
            labels: s.labels,
            stats: { ...s.stats, min: finite(s.stats.min), max: finite(s.stats.max), avg: finite(s.stats.avg), first: finite(s.stats.first), last: finite(s.stats.last) },
            points: s.points.filter(([, v]) => Number.isFinite(v)),
          })),
        };
      }
      const lines = flattenStreams(res.data, 100).map((l) => ({
        time: new Date(Number(BigInt(l.tsNs) / 1_000_000n)).toISOString(),
        labels: l.labels,
        line: wrapUntrusted(l.line, 1000),
      }));
      return { ...base, lines, series: [] };
    },
  );

  registerGuardedTool(
    server,
    ctx,
    {
      name: 'search_traces',
      title: 'Search traces (TraceQL)',
      description: 'Searches traces on Tempo with TraceQL (read-only): trace ids, root service, root span (untrusted text) and duration, at most 20.',
      input: ObservabilityQueryInput,
      output: z.object({
        query: z.string(),
        range: Range,
        traces: z.array(z.object({ traceId: z.string(), rootService: z.string().optional(), rootSpan: z.string().optional(), durationMs: z.number().optional() })),
      }),
      annotations: readOnly,
      policy: { roles: ['viewer'], action: 'mcp.search_traces' },
    },
    async (input) => {
      parsed('traceql', input.query);
      if (!deps.backends.tempo) throw unavailable('Tempo', 'TEMPO_URL');
      const { start, end } = rangeOf(input);
      const tempo = deps.backends.tempo;
      const traces = await backend(() => tempo.search(input.query, start, end, 20));
      return {
        query: input.query,
        range: { start: start.toISOString(), end: end.toISOString() },
        traces: traces.map((t) => ({
          traceId: t.traceID,
          ...(t.rootServiceName !== undefined ? { rootService: wrapUntrusted(t.rootServiceName, 200) } : {}),
          ...(t.rootTraceName !== undefined ? { rootSpan: wrapUntrusted(t.rootTraceName, 200) } : {}),
          ...(t.durationMs !== undefined ? { durationMs: t.durationMs } : {}),
        })),
      };
    },
  );
}
