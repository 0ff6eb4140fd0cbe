import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small HTTP service the tests deploy to: records every request (path, body, Idempotency-Key),
 * can fail the first N calls of a path, delay responses, and reports peak concurrency.
 */
export interface RecordedRequest {
  method: string;
  path: string;
  idempotencyKey?: string;
  body: unknown;
  at: number;
}

export interface FakeTarget {
  url: string;
  requests: RecordedRequest[];
  /** Fail the next `times` requests to `path` with `status`. */
  failNext(path: string, times: number, status?: number): void;
  /** Always answer `path` with `status`. */
  failAlways(path: string, status?: number): void;
  delay(path: string, ms: number): void;
  peakConcurrency(): number;
  calls(path: string): RecordedRequest[];
  close(): Promise<void>;
}

export async function startFakeTarget(): Promise<FakeTarget> {
  const requests: RecordedRequest[] = [];
  const failures = new Map<string, { times: number; status: number }>();
  const delays = new Map<string, number>();
  // Kept per path rather than counted from `requests` on each answer: the bench sends tens of
  // thousands of requests through one target, and a scan per request made it quadratic.
  const countByPath = new Map<string, number>();
  let inFlight = 0;
  let peak = 0;
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0]!;
      let body: unknown = raw;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        // keep the raw text
      }
      const key = req.headers['idempotency-key'];
      requests.push({ method: req.method ?? 'GET', path, body, at: Date.now(), ...(typeof key === 'string' ? { idempotencyKey: key } : {}) });
      const count = (countByPath.get(path) ?? 0) + 1;
      countByPath.set(path, count);
      inFlight++;
      peak = Math.max(peak, inFlight);
      const respond = () => {
        inFlight--;
        const failure = failures.get(path);
        if (failure && failure.times > 0) {
          failure.times--;
          res.writeHead(failure.status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'injected failure' }));
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, path, received: body ?? null, count }));
      };
      const ms = delays.get(path);
      if (ms) setTimeout(respond, ms);
      else respond();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    failNext: (path, times, status = 503) => failures.set(path, { times, status }),
    failAlways: (path, status = 500) => failures.set(path, { times: Number.POSITIVE_INFINITY, status }),
    delay: (path, ms) => delays.set(path, ms),
    peakConcurrency: () => peak,
    calls: (path) => requests.filter((r) => r.path === path),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
