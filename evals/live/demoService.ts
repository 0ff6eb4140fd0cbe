import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Histogram, Registry } from 'prom-client';

/**
 * A small real HTTP system of our own for the live faults: `storefront` (GET /checkout) calls one
 * dependency, `inventory` (GET /stock), over real HTTP. Both are instrumented the way an
 * OpenTelemetry SDK's Prometheus exporter names things — `http_server_request_duration_seconds`
 * with `http_request_method`, `http_route`, `http_response_status_code`, the caller's
 * `http_client_request_duration_seconds` with `server_address`, and `service_name` on every series —
 * so the investigation meets OTel semantic-convention names, not the project's own.
 *
 * Faults are real behaviour, not doctored numbers: `inventory.delayMs` makes the dependency slow,
 * and `storefront` serves the version its deploy API (`POST /deployments`, the API the shipped
 * `deploy-service` runbook talks to) last rolled out — a version in `brokenVersions` answers 5xx.
 * A load loop sends steady traffic, so rates exist before and after a fault.
 */

/** OTel's default explicit bucket boundaries for HTTP durations (seconds). */
const OTEL_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
/** Share of checkout requests a broken version fails: a bug on one code path, not a dead process. */
const BROKEN_FAILURE_SHARE = 0.6;
const LOAD_INTERVAL_MS = 50;

interface Instrumented {
  registry: Registry;
  server: Histogram<'http_request_method' | 'http_route' | 'http_response_status_code'>;
}

function instrument(serviceName: string): Instrumented {
  const registry = new Registry();
  registry.setDefaultLabels({ service_name: serviceName });
  const server = new Histogram({
    name: 'http_server_request_duration_seconds',
    help: 'Duration of HTTP server requests.',
    labelNames: ['http_request_method', 'http_route', 'http_response_status_code'] as const,
    buckets: OTEL_BUCKETS,
    registers: [registry],
  });
  return { registry, server };
}

function listen(server: http.Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

function close(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => resolve(raw));
    req.on('error', reject);
  });
}

async function serveMetrics(res: http.ServerResponse, registry: Registry): Promise<void> {
  res.writeHead(200, { 'content-type': registry.contentType }).end(await registry.metrics());
}

export interface DemoSystem {
  /** host:port scrape targets (each serves /metrics). */
  storefront: string;
  inventory: string;
  /** Base URL of storefront's deploy API (the runbook's DEPLOY_API_URL). */
  deployApiUrl: string;
  /** Latency added to every inventory answer (the dependency-latency fault). */
  setInventoryDelay(ms: number): void;
  version(): string;
  close(): Promise<void>;
}

export async function startDemoSystem(options: { initialVersion: string; brokenVersions: string[] }): Promise<DemoSystem> {
  let delayMs = 0;
  let version = options.initialVersion;
  const broken = new Set(options.brokenVersions);

  const inv = instrument('inventory');
  const inventory = http.createServer((req, res) => {
    const end = inv.server.startTimer({ http_request_method: req.method ?? 'GET' });
    if (req.url === '/metrics') return void serveMetrics(res, inv.registry);
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"inStock":true}');
      end({ http_route: '/stock', http_response_status_code: '200' });
    }, delayMs);
  });
  const inventoryAddr = await listen(inventory);

  const front = instrument('storefront');
  const client = new Histogram({
    name: 'http_client_request_duration_seconds',
    help: 'Duration of HTTP client requests.',
    labelNames: ['http_request_method', 'server_address', 'http_response_status_code'] as const,
    buckets: OTEL_BUCKETS,
    registers: [front.registry],
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const callInventory = (): Promise<number> =>
    new Promise((resolve) => {
      // server_address is the dependency's logical name, as a service DNS name would be.
      const end = client.startTimer({ http_request_method: 'GET', server_address: 'inventory' });
      const req = http.get(`http://${inventoryAddr}/stock`, { agent }, (res) => {
        res.resume();
        res.on('end', () => {
          end({ http_response_status_code: String(res.statusCode ?? 0) });
          resolve(res.statusCode ?? 0);
        });
      });
      req.on('error', () => {
        end({ http_response_status_code: '0' });
        resolve(0);
      });
    });

  let seq = 0;
  const storefront = http.createServer((req, res) => {
    const url = req.url ?? '/';
    if (url === '/metrics') return void serveMetrics(res, front.registry);
    const send = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    // The deploy API of runbooks/deploy-service.yaml, reduced to what a rollout needs.
    if (req.method === 'POST' && url === '/deployments') {
      void readBody(req).then((raw) => {
        const body = JSON.parse(raw || '{}') as { service?: unknown; version?: unknown };
        if (body.service !== 'storefront' || typeof body.version !== 'string') return send(400, { error: 'service must be storefront, version a string' });
        version = body.version;
        send(200, { service: 'storefront', version });
      });
      return;
    }
    if (req.method === 'GET' && url === '/deployments/storefront') return send(200, { service: 'storefront', version });
    const end = front.server.startTimer({ http_request_method: req.method ?? 'GET', http_route: '/checkout' });
    void callInventory().then((status) => {
      // Deterministic share of failures: every n-th request of a broken version fails.
      seq += 1;
      const fail = status !== 200 || (broken.has(version) && seq % 10 < BROKEN_FAILURE_SHARE * 10);
      send(fail ? 500 : 200, fail ? { error: 'checkout failed' } : { ok: true, version });
      end({ http_response_status_code: fail ? '500' : '200' });
    });
  });
  const storefrontAddr = await listen(storefront);

  const loadAgent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const load = setInterval(() => {
    http.get(`http://${storefrontAddr}/checkout`, { agent: loadAgent }, (res) => res.resume()).on('error', () => undefined);
  }, LOAD_INTERVAL_MS);

  return {
    storefront: storefrontAddr,
    inventory: inventoryAddr,
    deployApiUrl: `http://${storefrontAddr}`,
    setInventoryDelay: (ms) => void (delayMs = ms),
    version: () => version,
    async close() {
      clearInterval(load);
      agent.destroy();
      loadAgent.destroy();
      await Promise.all([close(storefront), close(inventory)]);
    },
  };
}
