import { z } from 'zod';
import { llmTool } from '../llm/toolSchema';
import { flattenStreams, summariseLokiMatrix, type LokiClient } from '../adapters/lokiClient';
import { summarisePromData, type PrometheusClient } from '../adapters/prometheusClient';
import type { SeriesSummary } from '../adapters/summarise';
import type { TempoClient } from '../adapters/tempoClient';
import { untrustedBlock } from '../llm/untrustedData';
import type { LlmTool } from '../llm/types';
import { checkQuery } from '../chat/query/grammar';
import type { Redactor } from '../memory/redaction/redactor';
import { EvidenceRecorder } from './gather/evidenceRecorder';
import type { IncidentRepository } from './incidentRepository';
import type { EvidenceKind, QueryLanguage, QueryRecord } from './types';

/**
 * The read-only query tools the LLM may call while forming hypotheses: PromQL range queries,
 * LogQL range queries and TraceQL searches, through the same adapters (breaker, retries, deadline)
 * as the heuristic gathers. Every query is parsed with the official grammar first, counted
 * against the step's allowance (a share of the incident's query budget) and recorded like any
 * other evidence — query, backend, time, summary, capped raw body — so a person can audit and
 * re-run what the model looked at. What goes back to the model is a short summary, redacted and
 * wrapped as untrusted data: label values, log lines and span names come from monitored systems.
 */
export interface QueryToolBackends {
  repo: IncidentRepository;
  prometheus?: Pick<PrometheusClient, 'range'>;
  loki?: Pick<LokiClient, 'queryRange'>;
  tempo?: Pick<TempoClient, 'search'>;
}

export interface QueryToolScope {
  incidentId: string;
  round: number;
  window: { start: string; pivot: string; end: string };
}

export interface ToolOutcome {
  content: string;
  isError: boolean;
}

const MAX_QUERY_CHARS = 2000;
const MAX_LOOKBACK_MINUTES = 24 * 60;
/** Points per Prometheus series: enough for a before/after comparison, small enough for any backend. */
const TARGET_POINTS = 240;
const SHOWN_SERIES = 10;
const SHOWN_LINES = 20;
const SHOWN_TRACES = 10;

/** A query tool's input, once in zod: the JSON Schema the model sees is derived from the parser. */
function queryInput(queryDescription: string) {
  return z.object({
    query: z.string().trim().min(1).max(MAX_QUERY_CHARS).describe(queryDescription),
    minutesBefore: z
      .number()
      .int()
      .min(1)
      .max(MAX_LOOKBACK_MINUTES)
      .optional()
      .describe("Minutes before the incident start (pivot) the range begins; default: the round's window. The range always ends now."),
  });
}

interface ToolSpec {
  tool: LlmTool;
  input: ReturnType<typeof queryInput>;
  language: Exclude<QueryLanguage, 'sql' | 'memory' | 'mcp'>;
  kind: EvidenceKind;
  backend: keyof Omit<QueryToolBackends, 'repo'>;
}

function querySpec(where: Omit<ToolSpec, 'tool' | 'input'>, name: string, description: string, queryDescription: string): ToolSpec {
  const input = queryInput(queryDescription);
  return { ...where, input, tool: llmTool(name, description, input) };
}

const SPECS: ToolSpec[] = [
  querySpec(
    { language: 'promql', kind: 'metrics', backend: 'prometheus' },
    'query_prometheus',
    'Run a read-only PromQL range query over the incident window. Returns per-series min/max/avg, the mean before and after the incident start, and the evidence id to cite.',
    'PromQL expression',
  ),
  querySpec(
    { language: 'logql', kind: 'logs', backend: 'loki' },
    'query_loki',
    'Run a read-only LogQL query (log or metric query) over the incident window. Returns matching lines (newest first) or series statistics, and the evidence id to cite.',
    'LogQL expression, e.g. {service="api"} |= "error"',
  ),
  querySpec(
    { language: 'traceql', kind: 'traces', backend: 'tempo' },
    'search_traces',
    'Search traces with TraceQL over the incident window. Returns trace ids, root service, root span and duration, and the evidence id to cite.',
    'TraceQL, e.g. { resource.service.name = "api" && status = error }',
  ),
];

const fmt = (v: number) => (!Number.isFinite(v) ? 'n/a' : Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3));

function mean(values: number[]): number {
  const finite = values.filter(Number.isFinite);
  return finite.length ? finite.reduce((a, b) => a + b, 0) / finite.length : NaN;
}

function describeSeries(s: SeriesSummary, pivotSec: number): string {
  const labels = Object.entries(s.labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(', ');
  const before = mean(s.points.filter(([t]) => t < pivotSec).map(([, v]) => v));
  const after = mean(s.points.filter(([t]) => t >= pivotSec).map(([, v]) => v));
  return `{${labels}} min ${fmt(s.stats.min)} max ${fmt(s.stats.max)} avg ${fmt(s.stats.avg)} last ${fmt(s.stats.last)}; mean before start ${fmt(before)}, after ${fmt(after)}`;
}

/** The tools one LLM step may call: configured backends only, and none once the allowance is 0. */
export class QueryToolRunner {
  private used = 0;
  private readonly recorder: EvidenceRecorder;
  readonly tools: LlmTool[];

  constructor(
    private readonly backends: QueryToolBackends,
    private readonly scope: QueryToolScope,
    private readonly allowance: number,
    private readonly redactor: Redactor,
  ) {
    // Prefix `llm`: ids never collide with the gathers' (`metrics`, `logs`, …) of the same round.
    this.recorder = new EvidenceRecorder(backends.repo, scope, 'llm');
    this.tools = SPECS.filter((s) => backends[s.backend]).map((s) => s.tool);
  }

  get left(): number {
    return Math.max(0, this.allowance - this.used);
  }

  /** One query from the allowance, for the MCP toolsets that share it (incidents/mcpToolsets.ts). */
  spend(): boolean {
    if (this.left <= 0) return false;
    this.used += 1;
    return true;
  }

  /** Queries run (ok or failed), in order: they join the incident's record and its budget. */
  get records(): QueryRecord[] {
    return this.recorder.records;
  }

  handles(name: string): boolean {
    return SPECS.some((s) => s.tool.name === name);
  }

  async run(name: string, rawInput: Record<string, unknown>): Promise<ToolOutcome> {
    const spec = SPECS.find((s) => s.tool.name === name);
    if (!spec || !this.backends[spec.backend]) return { content: `unknown or unavailable tool ${name}`, isError: true };
    const parsed = spec.input.safeParse(rawInput);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return { content: `invalid input: ${issue?.path.join('.') || 'input'}: ${issue?.message ?? 'invalid'}`, isError: true };
    }
    const { query, minutesBefore } = parsed.data;
    // A query that does not parse is refused before it costs budget or reaches a backend.
    const check = checkQuery(spec.language, query);
    if (!check.valid) return { content: `not run: ${check.error ?? 'the query does not parse'}`, isError: true };
    if (this.left <= 0) return { content: 'not run: the query budget of this step is spent; report your hypotheses now', isError: true };
    this.used += 1;
    const pivot = new Date(this.scope.window.pivot);
    const start = minutesBefore ? new Date(pivot.getTime() - minutesBefore * 60_000) : new Date(this.scope.window.start);
    const end = new Date(Math.max(new Date(this.scope.window.end).getTime(), pivot.getTime() + 60_000));
    const { record, value } = await this.recorder.run(
      spec.kind,
      spec.language,
      spec.backend,
      query,
      () => this.execute(spec, query, start, end),
      (v) => v,
      { start, end },
    );
    const head = `evidence id=${record.evidenceId} (${spec.language} on ${spec.backend}, ${start.toISOString()} to ${end.toISOString()})`;
    if (!value) return { content: `${head}: FAILED: ${this.line(record.error ?? 'error', 300)}`, isError: true };
    return {
      content: `${head}: ${this.line(record.summary, 300)}\n${untrustedBlock('query-result', value.lines.map((l) => this.line(l, 300)).join('\n') || '(empty)')}`,
      isError: false,
    };
  }

  private line(text: string, max: number): string {
    // eslint-disable-next-line no-control-regex
    const clean = this.redactor.redact(text).text.replace(/[\u0000-\u001f\u007f]/g, ' ');
    return clean.length > max ? `${clean.slice(0, max)}…` : clean;
  }

  private async execute(spec: ToolSpec, query: string, start: Date, end: Date): Promise<{ summary: string; body: unknown; lines: string[] }> {
    const pivotSec = new Date(this.scope.window.pivot).getTime() / 1000;
    if (spec.language === 'promql') {
      const step = Math.max(1, Math.ceil((end.getTime() - start.getTime()) / 1000 / TARGET_POINTS));
      const res = await this.backends.prometheus!.range(query, start, end, step);
      const summary = summarisePromData(res.data, { maxSeries: 50, maxPoints: TARGET_POINTS });
      return {
        summary: `${summary.seriesCount} series${summary.truncated ? ' (largest shown)' : ''}`,
        body: { resultType: res.data.resultType, summary, raw: res.data },
        lines: summary.series.slice(0, SHOWN_SERIES).map((s) => describeSeries(s, pivotSec)),
      };
    }
    if (spec.language === 'logql') {
      const res = await this.backends.loki!.queryRange(query, start, end, { limit: 500, direction: 'backward' });
      const matrix = summariseLokiMatrix(res.data, { maxSeries: 50, maxPoints: TARGET_POINTS });
      if (matrix) {
        return {
          summary: `${matrix.seriesCount} series`,
          body: { resultType: res.data.resultType, summary: matrix },
          lines: matrix.series.slice(0, SHOWN_SERIES).map((s) => describeSeries(s, pivotSec)),
        };
      }
      const lines = flattenStreams(res.data);
      const services = [...new Set(lines.map((l) => l.labels.service).filter(Boolean))].slice(0, 5);
      return {
        summary: `${lines.length} lines in ${res.data.result.length} streams${services.length ? ` (services: ${services.join(', ')})` : ''}`,
        body: { resultType: res.data.resultType, lines: lines.slice(0, 500) },
        lines: lines.slice(0, SHOWN_LINES).map((l) => `${new Date(Number(BigInt(l.tsNs) / 1_000_000n)).toISOString()} ${l.labels.service ?? ''}: ${l.line}`),
      };
    }
    const traces = await this.backends.tempo!.search(query, start, end, 20);
    return {
      summary: `${traces.length} traces; roots: ${[...new Set(traces.map((t) => t.rootServiceName ?? '?'))].slice(0, 5).join(', ')}`,
      body: traces,
      lines: traces.slice(0, SHOWN_TRACES).map((t) => `trace ${t.traceID} root ${t.rootServiceName ?? '?'} "${t.rootTraceName ?? ''}" ${t.durationMs ?? '?'} ms`),
    };
  }
}
