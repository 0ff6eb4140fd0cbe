import type { BackendConfig } from './backendConfig';
import { BackendError } from './backendError';
import { HttpBackend, type HttpAnswer } from './httpBackend';
import { summariseSeries, type ResultSummary, type SummaryLimits } from './summarise';

/**
 * Prometheus HTTP API (/api/v1): instant and range queries, series, labels, label values and
 * metadata. `status: "error"` answers carry `errorType` (bad_data → the query's fault; timeout,
 * canceled, execution, unavailable → may pass) and are turned into BackendErrors naming the query.
 */
export type PromSample = [number, string];
export interface PromSeries {
  metric: Record<string, string>;
  value?: PromSample;
  values?: PromSample[];
}
export type PromData = { resultType: 'matrix' | 'vector'; result: PromSeries[] } | { resultType: 'scalar' | 'string'; result: PromSample };

interface PromEnvelope<T> {
  status?: 'success' | 'error';
  data?: T;
  errorType?: string;
  error?: string;
  warnings?: string[];
}

export interface PromQueryResult {
  query: string;
  data: PromData;
  warnings: string[];
}

const PERMANENT_ERROR_TYPES = new Set(['bad_data', 'not_found', 'not_acceptable']);

function describe(answer: HttpAnswer): string {
  const body = answer.json as PromEnvelope<unknown> | undefined;
  return body?.error ? `${body.errorType ?? 'error'}: ${body.error}` : answer.text || 'no body';
}

export class PrometheusClient {
  private readonly http: HttpBackend;

  constructor(config: Omit<BackendConfig, 'name'>) {
    this.http = new HttpBackend({ ...config, name: 'prometheus' }, describe);
  }

  async instant(query: string, time?: Date, signal?: AbortSignal): Promise<PromQueryResult> {
    const data = await this.call<PromData>('api/v1/query', { query, time: time ? seconds(time) : undefined, timeout: this.serverTimeout() }, query, signal);
    return { query, data: data.data, warnings: data.warnings };
  }

  async range(query: string, start: Date, end: Date, stepSeconds: number, signal?: AbortSignal): Promise<PromQueryResult> {
    const data = await this.call<PromData>(
      'api/v1/query_range',
      { query, start: seconds(start), end: seconds(end), step: String(stepSeconds), timeout: this.serverTimeout() },
      query,
      signal,
    );
    return { query, data: data.data, warnings: data.warnings };
  }

  async series(matchers: string[], start?: Date, end?: Date, limit = 1000): Promise<Record<string, string>[]> {
    const url = new URLSearchParams();
    for (const m of matchers) url.append('match[]', m);
    const result = await this.call<Record<string, string>[]>(
      `api/v1/series?${url.toString()}`,
      { start: start ? seconds(start) : undefined, end: end ? seconds(end) : undefined },
      matchers.join(' '),
    );
    return result.data.slice(0, limit);
  }

  async labels(): Promise<string[]> {
    return (await this.call<string[]>('api/v1/labels', {}, 'labels')).data;
  }

  async labelValues(label: string): Promise<string[]> {
    return (await this.call<string[]>(`api/v1/label/${encodeURIComponent(label)}/values`, {}, `label_values(${label})`)).data;
  }

  async metadata(metric?: string): Promise<Record<string, { type: string; help: string; unit: string }[]>> {
    return (await this.call<Record<string, { type: string; help: string; unit: string }[]>>('api/v1/metadata', { metric }, `metadata(${metric ?? ''})`)).data;
  }

  /** Prometheus' own evaluation timeout, a little under ours so its error (not our abort) wins. */
  private serverTimeout(): string {
    return `${Math.max(1, Math.floor(((this.http.config.timeoutMs ?? 10_000) * 0.9) / 1000))}s`;
  }

  private async call<T>(path: string, params: Record<string, string | undefined>, label: string, signal?: AbortSignal): Promise<{ data: T; warnings: string[] }> {
    // Non-2xx answers (400 bad_data, 422 execution, 503 timeout) are classified by HttpBackend.
    const answer = await this.http.get(path, params, label, signal);
    const body = answer.json as PromEnvelope<T> | undefined;
    if (!body || body.status !== 'success' || body.data === undefined) {
      const errorType = body?.errorType ?? 'unknown';
      throw new BackendError('prometheus', PERMANENT_ERROR_TYPES.has(errorType) ? 'invalid' : 'unavailable', label, `${errorType}: ${body?.error ?? 'no data'}`);
    }
    return { data: body.data, warnings: body.warnings ?? [] };
  }
}

function seconds(date: Date): string {
  return (date.getTime() / 1000).toFixed(3);
}

/** Matrix, vector and scalar results as one summarised shape. */
export function summarisePromData(data: PromData, limits?: SummaryLimits): ResultSummary {
  if (data.resultType === 'scalar' || data.resultType === 'string') {
    const [t, v] = data.result;
    return summariseSeries(data.resultType, [{ labels: {}, points: [[t, Number(v)]] }], limits);
  }
  const series = (data.result as PromSeries[]).map((s) => ({
    labels: s.metric,
    points: (s.values ?? (s.value ? [s.value] : [])).map(([t, v]): [number, number] => [t, Number(v)]),
  }));
  return summariseSeries(data.resultType, series, limits);
}
