import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * DEMO ONLY: a stand-in deployment API that `./scripts/dev.sh` starts when DEPLOY_API_URL is unset,
 * so the shipped runbooks can be tried end to end on a laptop. It keeps versions and replica counts
 * in memory. A version containing "bad" deploys but keeps serving the old version, so the smoke
 * check fails and the run rolls back. Point DEPLOY_API_URL at your real deployer to replace it.
 */
interface ServiceState {
  version: string;
  previous: string[];
  replicas: number;
  healthy: boolean;
}

export interface DemoDeployTarget {
  url: string;
  close(): Promise<void>;
}

export async function startDemoDeployTarget(port = 0): Promise<DemoDeployTarget> {
  const services = new Map<string, ServiceState>();
  const seen = new Map<string, { status: number; body: unknown }>();
  const get = (name: string): ServiceState => {
    let state = services.get(name);
    if (!state) services.set(name, (state = { version: 'v0.0.0', previous: [], replicas: 2, healthy: true }));
    return state;
  };

  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const send = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      let body: Record<string, unknown> = {};
      try {
        body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      } catch {
        return send(400, { error: 'body must be JSON' });
      }
      // Replays with the same Idempotency-Key get the first answer, as a real deployer should do.
      const key = req.headers['idempotency-key'];
      if (typeof key === 'string' && req.method !== 'GET' && seen.has(key)) {
        const first = seen.get(key)!;
        return send(first.status, first.body);
      }
      const remember = (status: number, answer: unknown) => {
        if (typeof key === 'string' && req.method !== 'GET') seen.set(key, { status, body: answer });
        send(status, answer);
      };
      const url = new URL(req.url ?? '/', 'http://demo');
      const deployment = /^\/deployments\/([a-z0-9-]+)$/.exec(url.pathname);
      const scale = /^\/services\/([a-z0-9-]+)\/scale$/.exec(url.pathname);
      if (req.method === 'GET' && deployment) {
        const s = get(deployment[1]!);
        // An unhealthy rollout keeps serving the old version, which is what the smoke check sees.
        return send(200, { service: deployment[1], version: s.healthy ? s.version : s.previous.at(-1), status: s.healthy ? 'running' : 'crashlooping' });
      }
      if (scale) {
        const s = get(scale[1]!);
        if (req.method === 'GET') return send(200, { service: scale[1], replicas: s.replicas });
        if (req.method !== 'POST') return send(405, { error: 'method not allowed' });
        const replicas = Number(body.replicas);
        if (!Number.isInteger(replicas) || replicas < 0) return send(400, { error: 'replicas must be a whole number' });
        const previousReplicas = s.replicas;
        s.replicas = replicas;
        return remember(200, { service: scale[1], replicas, previousReplicas });
      }
      const service = typeof body.service === 'string' ? body.service : undefined;
      if (req.method !== 'POST') return send(404, { error: 'not found' });
      if (!service) return send(400, { error: 'service is required' });
      const s = get(service);
      switch (url.pathname) {
        case '/deployments': {
          if (typeof body.version !== 'string') return send(400, { error: 'version is required' });
          s.previous.push(s.version);
          s.version = body.version;
          s.healthy = !body.version.includes('bad');
          return remember(201, { service, version: s.version, status: 'rolled-out' });
        }
        case '/rollbacks': {
          s.version = s.previous.pop() ?? s.version;
          s.healthy = true;
          return remember(200, { service, version: s.version, status: 'rolled-back' });
        }
        default:
          return send(404, { error: 'not found' });
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const { port: actual } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${actual}`, close: () => new Promise((r) => server.close(() => r())) };
}
