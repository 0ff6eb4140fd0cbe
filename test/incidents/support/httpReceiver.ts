import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local HTTP receiver standing in for an incident manager (generic webhook, PagerDuty Events
 * API v2): records every POST (path, headers, JSON body) and answers from a per-path script of
 * statuses (then 202, like PagerDuty's `{"status":"success",…}`).
 */
export interface ReceivedRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: any;
  status: number;
}

export interface HttpReceiver {
  url: string;
  requests: ReceivedRequest[];
  /** Next answers for a path, consumed in order: `{ status, retryAfter? }`. */
  script(path: string, ...answers: { status: number; retryAfter?: number }[]): void;
  on(path: string): ReceivedRequest[];
  close(): Promise<void>;
}

export async function startHttpReceiver(): Promise<HttpReceiver> {
  const scripts = new Map<string, { status: number; retryAfter?: number }[]>();
  const requests: ReceivedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const next = scripts.get(path)?.shift() ?? { status: 202 };
      const text = Buffer.concat(chunks).toString();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // kept as text
      }
      requests.push({ path, headers: req.headers, body, status: next.status });
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (next.retryAfter !== undefined) headers['retry-after'] = String(next.retryAfter);
      res.writeHead(next.status, headers);
      res.end(
        JSON.stringify(
          next.status < 300
            ? { status: 'success', message: 'Event processed', dedup_key: (body as { dedup_key?: string })?.dedup_key }
            : { status: 'invalid event', message: 'Event object is invalid' },
        ),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script: (path, ...answers) => scripts.set(path, [...(scripts.get(path) ?? []), ...answers]),
    on: (path) => requests.filter((r) => r.path === path),
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
