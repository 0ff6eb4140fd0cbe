/**
 * FAKE Loki — not Loki. Loki cannot run on the CI machine, so this local HTTP server reproduces the
 * documented wire format of the endpoints the adapter uses
 * (https://grafana.com/docs/loki/latest/reference/loki-http-api/):
 *   GET /loki/api/v1/query_range  → {"status":"success","data":{"resultType":"streams","result":[{"stream":{…},"values":[["<ns>","line"]]}],"stats":{}}}
 *                                   metric queries (count_over_time/rate/sum) → resultType "matrix", values [[<unix s>, "<value>"]]
 *   GET /loki/api/v1/labels, /loki/api/v1/label/<name>/values → {"status":"success","data":[…]}
 *   Errors: HTTP 400 with a plain-text body (e.g. "parse error at line 1, col 1: syntax error: unexpected IDENTIFIER").
 * Timestamps are nanoseconds as strings. Only simple selectors (`l="v"`, `l=~"regex"`) and one
 * line filter (`|~ "re"` / `|= "text"`) are interpreted — enough for the adapter and the tests.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeStream {
  stream: Record<string, string>;
  /** [Date, line] — converted to nanosecond strings on the wire. */
  lines: [Date, string][];
}

export interface FakeLoki {
  url: string;
  streams: FakeStream[];
  requests: { path: string; query: Record<string, string>; headers: http.IncomingHttpHeaders }[];
  /** When set, every request answers this status with a plain-text body. */
  failWith?: number;
  delayMs: number;
  close(): Promise<void>;
}

function matchers(query: string): { label: string; op: string; value: string }[] {
  const sel = /\{([^}]*)\}/.exec(query)?.[1] ?? '';
  return [...sel.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g)].map((m) => ({ label: m[1]!, op: m[2]!, value: m[3]!.replace(/\\(.)/g, '$1') }));
}

function lineFilter(query: string): ((line: string) => boolean) | undefined {
  const m = /\|(~|=)\s*"((?:[^"\\]|\\.)*)"/.exec(query);
  if (!m) return undefined;
  const value = m[2]!.replace(/\\(.)/g, '$1');
  if (m[1] === '=') return (l) => l.includes(value);
  const flags = value.startsWith('(?i)') ? 'i' : '';
  const re = new RegExp(value.replace(/^\(\?i\)/, ''), flags);
  return (l) => re.test(l);
}

export async function startFakeLoki(streams: FakeStream[] = []): Promise<FakeLoki> {
  const fake: FakeLoki = { url: '', streams, requests: [], delayMs: 0, close: async () => undefined };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const query = Object.fromEntries(url.searchParams);
    fake.requests.push({ path: url.pathname, query, headers: req.headers });
    const send = (status: number, body: string, type = 'application/json') => {
      setTimeout(() => {
        res.writeHead(status, { 'content-type': type });
        res.end(body);
      }, fake.delayMs);
    };
    if (fake.failWith) return send(fake.failWith, 'too many outstanding requests\n', 'text/plain; charset=utf-8');
    if (url.pathname === '/loki/api/v1/labels') {
      return send(200, JSON.stringify({ status: 'success', data: [...new Set(fake.streams.flatMap((s) => Object.keys(s.stream)))].sort() }));
    }
    const lv = /^\/loki\/api\/v1\/label\/([^/]+)\/values$/.exec(url.pathname);
    if (lv) {
      const name = decodeURIComponent(lv[1]!);
      return send(200, JSON.stringify({ status: 'success', data: [...new Set(fake.streams.map((s) => s.stream[name]).filter(Boolean))].sort() }));
    }
    if (url.pathname !== '/loki/api/v1/query_range') return send(404, '404 page not found\n', 'text/plain; charset=utf-8');
    const q = query.query ?? '';
    if (!q.includes('{') || (q.match(/\{/g) ?? []).length !== (q.match(/\}/g) ?? []).length) {
      return send(400, 'parse error at line 1, col 1: syntax error: unexpected IDENTIFIER\n', 'text/plain; charset=utf-8');
    }
    const start = BigInt(query.start ?? '0');
    const end = BigInt(query.end ?? String(BigInt(Date.now()) * 1_000_000n));
    const limit = Number(query.limit ?? 100);
    const ms = matchers(q);
    const filter = lineFilter(q);
    const selected = fake.streams.filter((s) =>
      ms.every((m) => {
        const v = s.stream[m.label] ?? '';
        if (m.op === '=') return v === m.value;
        if (m.op === '!=') return v !== m.value;
        return new RegExp(`^(?:${m.value})$`).test(v);
      }),
    );
    const inRange = selected.map((s) => ({
      stream: s.stream,
      values: s.lines
        .map(([d, line]): [string, string] => [(BigInt(d.getTime()) * 1_000_000n).toString(), line])
        .filter(([ns, line]) => BigInt(ns) >= start && BigInt(ns) <= end && (!filter || filter(line))),
    }));
    if (/^\s*(sum|count_over_time|rate)/.test(q)) {
      // Metric query: one series per stream, count of matching lines per minute bucket.
      const result = inRange.map((s) => {
        const buckets = new Map<number, number>();
        for (const [ns] of s.values) {
          const sec = Math.floor(Number(BigInt(ns) / 1_000_000_000n) / 60) * 60;
          buckets.set(sec, (buckets.get(sec) ?? 0) + 1);
        }
        return { metric: s.stream, values: [...buckets.entries()].sort((a, b) => a[0] - b[0]).map(([t, n]) => [t, String(n)]) };
      });
      return send(200, JSON.stringify({ status: 'success', data: { resultType: 'matrix', result, stats: {} } }));
    }
    let budget = limit;
    const result = inRange
      .map((s) => {
        const values = s.values.sort((a, b) => (BigInt(b[0]) > BigInt(a[0]) ? 1 : -1)).slice(0, Math.max(0, budget));
        budget -= values.length;
        return { stream: s.stream, values };
      })
      .filter((s) => s.values.length > 0);
    return send(200, JSON.stringify({ status: 'success', data: { resultType: 'streams', result, stats: {} } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () => new Promise((resolve) => server.close(() => resolve()));
  return fake;
}
