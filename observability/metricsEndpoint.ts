import http from 'node:http';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { Registry } from 'prom-client';

/**
 * The text served at /metrics: our registry plus, when the Temporal SDK's own Prometheus exporter
 * runs (worker processes), its output fetched from the loopback address it listens on, so one
 * scrape target carries both. The SDK exporter's metric names start with `temporal_`, so the two
 * never collide.
 */
export interface MetricsSource {
  registry: Registry;
  /** e.g. http://127.0.0.1:9465/metrics (Runtime telemetry's Prometheus exporter). */
  temporalSdkUrl?: string;
  /** When set, scrapes must send `Authorization: Bearer <token>`. */
  token?: string;
}

async function temporalSdkText(url: string): Promise<string> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return res.ok ? await res.text() : '';
  } catch {
    // The SDK exporter starts with the worker; a scrape before that simply lacks its series.
    return '';
  }
}

export async function metricsText(source: MetricsSource): Promise<string> {
  const ours = await source.registry.metrics();
  if (!source.temporalSdkUrl) return ours;
  const sdk = await temporalSdkText(source.temporalSdkUrl);
  return sdk ? `${ours}\n${sdk}` : ours;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Constant-time bearer check; true when no token is configured. */
export function metricsAuthorised(header: string | undefined, token: string | undefined): boolean {
  if (!token) return true;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1] !== undefined && timingSafeEqual(digest(match[1]), digest(token));
}

export function metricsContentType(source: MetricsSource): string {
  return source.registry.contentType;
}

/** A worker's own /metrics server on METRICS_PORT (the API serves /metrics on its own port). */
export async function startMetricsServer(source: MetricsSource, options: { host: string; port: number }): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'application/problem+json' });
      res.end(JSON.stringify({ type: 'urn:copilot:problem:route-not-found', title: 'Not Found', status: 404, detail: 'only GET /metrics is served here' }));
      return;
    }
    if (!metricsAuthorised(req.headers.authorization, source.token)) {
      res.writeHead(401, { 'content-type': 'application/problem+json', 'www-authenticate': 'Bearer realm="copilot-metrics"' });
      res.end(JSON.stringify({ type: 'urn:copilot:problem:unauthorized', title: 'Unauthorized', status: 401, detail: 'this endpoint needs the METRICS_TOKEN bearer token' }));
      return;
    }
    metricsText(source).then(
      (text) => {
        res.writeHead(200, { 'content-type': metricsContentType(source) });
        res.end(text);
      },
      () => {
        res.writeHead(500, { 'content-type': 'application/problem+json' });
        res.end(JSON.stringify({ type: 'urn:copilot:problem:internal-error', title: 'Internal Server Error', status: 500, detail: 'metrics could not be collected' }));
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as { port: number };
  return {
    url: `http://${options.host}:${address.port}/metrics`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
