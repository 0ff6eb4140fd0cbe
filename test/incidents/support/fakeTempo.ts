/**
 * FAKE Tempo — not Tempo. Tempo cannot run on the CI machine, so this local HTTP server reproduces
 * the documented wire format of the endpoints the adapter uses
 * (https://grafana.com/docs/tempo/latest/api_docs/):
 *   GET /api/search?q=<TraceQL>&start=&end=&limit= → {"traces":[{"traceID":"<hex>","rootServiceName","rootTraceName","startTimeUnixNano":"<ns>","durationMs"}],"metrics":{…}}
 *   GET /api/traces/<traceID> → OTLP JSON {"batches":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"…"}}]},
 *        "scopeSpans":[{"spans":[{"traceId":"<base64>","spanId":"<base64>","parentSpanId":"<base64>","name","startTimeUnixNano","endTimeUnixNano","status":{"code":2}}]}]}]}
 *   GET /api/search/tags → {"tagNames":[…]}
 * Only two TraceQL forms are interpreted: `{ status = error }` and `{ duration > <n>ms }`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeSpan {
  spanId: string; // 16 hex
  parentSpanId?: string;
  service: string;
  name: string;
  startMs: number; // offset from trace start
  durationMs: number;
  error?: boolean;
}

export interface FakeTrace {
  traceId: string; // 32 hex
  start: Date;
  spans: FakeSpan[];
}

export interface FakeTempo {
  url: string;
  traces: FakeTrace[];
  requests: { path: string; query: Record<string, string>; headers: http.IncomingHttpHeaders }[];
  failWith?: number;
  close(): Promise<void>;
}

const b64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');

function rootOf(t: FakeTrace): FakeSpan {
  return t.spans.find((s) => !s.parentSpanId) ?? t.spans[0]!;
}

function otlp(t: FakeTrace) {
  const services = [...new Set(t.spans.map((s) => s.service))];
  const startNs = BigInt(t.start.getTime()) * 1_000_000n;
  return {
    batches: services.map((service) => ({
      resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
      scopeSpans: [
        {
          scope: { name: 'fake' },
          spans: t.spans
            .filter((s) => s.service === service)
            .map((s) => ({
              traceId: b64(t.traceId),
              spanId: b64(s.spanId),
              ...(s.parentSpanId ? { parentSpanId: b64(s.parentSpanId) } : {}),
              name: s.name,
              kind: 'SPAN_KIND_SERVER',
              startTimeUnixNano: (startNs + BigInt(Math.round(s.startMs * 1e6))).toString(),
              endTimeUnixNano: (startNs + BigInt(Math.round((s.startMs + s.durationMs) * 1e6))).toString(),
              status: s.error ? { code: 2 } : {},
            })),
        },
      ],
    })),
  };
}

export async function startFakeTempo(traces: FakeTrace[] = []): Promise<FakeTempo> {
  const fake: FakeTempo = { url: '', traces, requests: [], close: async () => undefined };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const query = Object.fromEntries(url.searchParams);
    fake.requests.push({ path: url.pathname, query, headers: req.headers });
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    if (fake.failWith) return send(fake.failWith, 'service unavailable\n');
    if (url.pathname === '/api/search/tags') return send(200, { tagNames: ['service.name', 'http.status_code', 'name', 'status'] });
    const byId = /^\/api\/traces\/([0-9a-fA-F]+)$/.exec(url.pathname);
    if (byId) {
      const t = fake.traces.find((x) => x.traceId === byId[1]!.toLowerCase());
      return t ? send(200, otlp(t)) : send(404, 'trace not found\n');
    }
    if (url.pathname !== '/api/search') return send(404, '404 page not found\n');
    const q = query.q ?? '';
    const dur = /duration\s*>\s*(\d+)ms/.exec(q);
    const wantsError = /status\s*=\s*error/.test(q);
    if (!dur && !wantsError) return send(400, `invalid TraceQL query: parse error unexpected token in ${q.slice(0, 50)}\n`);
    const start = Number(query.start ?? 0) * 1000;
    const end = Number(query.end ?? Date.now() / 1000) * 1000;
    const hits = fake.traces
      .filter((t) => t.start.getTime() >= start && t.start.getTime() <= end)
      .filter((t) => (wantsError ? t.spans.some((s) => s.error) : true))
      .filter((t) => (dur ? Math.max(...t.spans.map((s) => s.durationMs)) > Number(dur[1]) : true))
      .slice(0, Number(query.limit ?? 20));
    return send(200, {
      traces: hits.map((t) => ({
        traceID: t.traceId,
        rootServiceName: rootOf(t).service,
        rootTraceName: rootOf(t).name,
        startTimeUnixNano: (BigInt(t.start.getTime()) * 1_000_000n).toString(),
        durationMs: Math.round(rootOf(t).durationMs),
      })),
      metrics: { inspectedTraces: fake.traces.length, inspectedBytes: '1024' },
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () => new Promise((resolve) => server.close(() => resolve()));
  return fake;
}
