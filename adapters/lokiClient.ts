import type { BackendConfig } from './backendConfig';
import { BackendError } from './backendError';
import { HttpBackend } from './httpBackend';
import { summariseSeries, type ResultSummary, type SummaryLimits } from './summarise';

/**
 * Loki HTTP API: /loki/api/v1/query_range (log queries answer `streams`, metric queries `matrix`),
 * /labels and /label/<name>/values. Timestamps of log lines are nanoseconds as strings (they do not
 * fit a double); errors are plain-text bodies with HTTP 400.
 */
export interface LokiStream {
  stream: Record<string, string>;
  /** [nanosecond timestamp as a string, log line] */
  values: [string, string][];
}
export interface LokiMatrixSeries {
  metric: Record<string, string>;
  values: [number, string][];
}
export type LokiData = { resultType: 'streams'; result: LokiStream[] } | { resultType: 'matrix'; result: LokiMatrixSeries[] };

export interface LokiQueryResult {
  query: string;
  data: LokiData;
}

export interface LokiLine {
  labels: Record<string, string>;
  /** Nanoseconds since the epoch, kept as a string (exact). */
  tsNs: string;
  line: string;
}

/** Date → nanoseconds since the epoch, as Loki wants them (exact, via BigInt). */
export function toNanos(date: Date): string {
  return (BigInt(date.getTime()) * 1_000_000n).toString();
}

export class LokiClient {
  private readonly http: HttpBackend;

  constructor(config: Omit<BackendConfig, 'name'>) {
    // Loki's error bodies are plain text ("parse error at line 1, col 2: ..."), not JSON.
    this.http = new HttpBackend({ ...config, name: 'loki' }, (a) => a.text.trim() || 'no body');
  }

  async queryRange(
    query: string,
    start: Date,
    end: Date,
    options: { limit?: number; stepSeconds?: number; direction?: 'forward' | 'backward' } = {},
    signal?: AbortSignal,
  ): Promise<LokiQueryResult> {
    const answer = await this.http.get(
      'loki/api/v1/query_range',
      {
        query,
        start: toNanos(start),
        end: toNanos(end),
        limit: String(options.limit ?? 1000),
        direction: options.direction ?? 'backward',
        step: options.stepSeconds !== undefined ? `${options.stepSeconds}s` : undefined,
      },
      query,
      signal,
    );
    const body = answer.json as { status?: string; data?: LokiData } | undefined;
    if (body?.status !== 'success' || !body.data) throw new BackendError('loki', 'unavailable', query, `unexpected answer: ${answer.text.slice(0, 200)}`);
    return { query, data: body.data };
  }

  async labels(start?: Date, end?: Date): Promise<string[]> {
    return this.list('loki/api/v1/labels', { start: start ? toNanos(start) : undefined, end: end ? toNanos(end) : undefined }, 'labels');
  }

  async labelValues(label: string, start?: Date, end?: Date): Promise<string[]> {
    return this.list(
      `loki/api/v1/label/${encodeURIComponent(label)}/values`,
      { start: start ? toNanos(start) : undefined, end: end ? toNanos(end) : undefined },
      `label_values(${label})`,
    );
  }

  private async list(path: string, params: Record<string, string | undefined>, label: string): Promise<string[]> {
    const answer = await this.http.get(path, params, label);
    const body = answer.json as { status?: string; data?: string[] } | undefined;
    return body?.data ?? [];
  }
}

/** Every log line of a streams result, newest first, capped. */
export function flattenStreams(data: LokiData, max = 5000): LokiLine[] {
  if (data.resultType !== 'streams') return [];
  const lines: LokiLine[] = [];
  for (const s of data.result) for (const [tsNs, line] of s.values) lines.push({ labels: s.stream, tsNs, line });
  lines.sort((a, b) => (BigInt(b.tsNs) > BigInt(a.tsNs) ? 1 : BigInt(b.tsNs) < BigInt(a.tsNs) ? -1 : 0));
  return lines.slice(0, max);
}

export function summariseLokiMatrix(data: LokiData, limits?: SummaryLimits): ResultSummary | undefined {
  if (data.resultType !== 'matrix') return undefined;
  return summariseSeries(
    'matrix',
    data.result.map((s) => ({ labels: s.metric, points: s.values.map(([t, v]): [number, number] => [t, Number(v)]) })),
    limits,
  );
}
