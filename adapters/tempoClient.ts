import type { BackendConfig } from './backendConfig';
import { BackendError } from './backendError';
import { HttpBackend } from './httpBackend';

/**
 * Tempo HTTP API: TraceQL search (/api/search?q=), trace by id (/api/traces/<id>, OTLP JSON whose
 * top level is `batches` — or `resourceSpans` in newer versions — with base64 span and trace ids)
 * and tag names (/api/search/tags).
 */
export interface TempoSearchTrace {
  traceID: string;
  rootServiceName?: string;
  rootTraceName?: string;
  startTimeUnixNano?: string;
  durationMs?: number;
}

export interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  service: string;
  startNs: bigint;
  durationMs: number;
  error: boolean;
}

interface OtlpAttribute {
  key: string;
  value?: { stringValue?: string; intValue?: string | number; boolValue?: boolean };
}
interface OtlpSpan {
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  name?: string;
  startTimeUnixNano?: string;
  endTimeUnixNano?: string;
  status?: { code?: number | string };
}
interface OtlpBatch {
  resource?: { attributes?: OtlpAttribute[] };
  scopeSpans?: { spans?: OtlpSpan[] }[];
  instrumentationLibrarySpans?: { spans?: OtlpSpan[] }[];
}

/** OTLP JSON ids are base64; everything else in the API (and humans) uses hex. */
export function base64ToHex(id: string | undefined): string {
  if (!id) return '';
  if (/^[0-9a-f]+$/i.test(id) && (id.length === 16 || id.length === 32)) return id.toLowerCase();
  return Buffer.from(id, 'base64').toString('hex');
}

export class TempoClient {
  private readonly http: HttpBackend;

  constructor(config: Omit<BackendConfig, 'name'>) {
    this.http = new HttpBackend({ ...config, name: 'tempo' }, (a) => a.text.trim() || 'no body');
  }

  async search(traceql: string, start: Date, end: Date, limit = 20, signal?: AbortSignal): Promise<TempoSearchTrace[]> {
    const answer = await this.http.get(
      'api/search',
      { q: traceql, start: String(Math.floor(start.getTime() / 1000)), end: String(Math.ceil(end.getTime() / 1000)), limit: String(limit) },
      traceql,
      signal,
    );
    const body = answer.json as { traces?: TempoSearchTrace[] } | undefined;
    if (!body || !Array.isArray(body.traces)) throw new BackendError('tempo', 'unavailable', traceql, 'answer has no `traces` array');
    return body.traces;
  }

  async trace(traceId: string, signal?: AbortSignal): Promise<Span[]> {
    const answer = await this.http.get(`api/traces/${encodeURIComponent(traceId)}`, {}, `trace ${traceId}`, signal);
    const body = answer.json as { batches?: OtlpBatch[]; resourceSpans?: OtlpBatch[]; trace?: { resourceSpans?: OtlpBatch[] } } | undefined;
    const batches = body?.batches ?? body?.resourceSpans ?? body?.trace?.resourceSpans;
    if (!batches) throw new BackendError('tempo', 'unavailable', `trace ${traceId}`, 'answer has neither `batches` nor `resourceSpans`');
    return spansOf(batches);
  }

  async tags(): Promise<string[]> {
    const answer = await this.http.get('api/search/tags', {}, 'tags');
    return (answer.json as { tagNames?: string[] } | undefined)?.tagNames ?? [];
  }
}

export function spansOf(batches: OtlpBatch[]): Span[] {
  const spans: Span[] = [];
  for (const batch of batches) {
    const service = batch.resource?.attributes?.find((a) => a.key === 'service.name')?.value?.stringValue ?? 'unknown';
    for (const scope of [...(batch.scopeSpans ?? []), ...(batch.instrumentationLibrarySpans ?? [])]) {
      for (const s of scope.spans ?? []) {
        const start = BigInt(s.startTimeUnixNano ?? '0');
        const end = BigInt(s.endTimeUnixNano ?? s.startTimeUnixNano ?? '0');
        const code = s.status?.code;
        spans.push({
          traceId: base64ToHex(s.traceId),
          spanId: base64ToHex(s.spanId),
          ...(s.parentSpanId ? { parentSpanId: base64ToHex(s.parentSpanId) } : {}),
          name: s.name ?? '',
          service,
          startNs: start,
          durationMs: Number(end - start) / 1e6,
          error: code === 2 || code === 'STATUS_CODE_ERROR',
        });
      }
    }
  }
  return spans;
}

/** Self time: a span's duration minus its direct children's, so the slow leaf is blamed, not the root. */
export function selfTimes(spans: Span[]): Map<string, number> {
  const self = new Map(spans.map((s) => [s.spanId, s.durationMs]));
  for (const s of spans) {
    if (s.parentSpanId && self.has(s.parentSpanId)) self.set(s.parentSpanId, (self.get(s.parentSpanId) ?? 0) - s.durationMs);
  }
  return self;
}
