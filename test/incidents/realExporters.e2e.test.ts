import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../../temporal/devServer';
import { startAlerting, type Alerting } from './support/realAlerting';
import { startIncidentStack, TOKENS, WEBHOOK_TOKEN, type IncidentStack } from './support/incidentStack';

/**
 * A real fault on real exporters: a `redis-server` of our own scraped through Debian's
 * `prometheus-redis-exporter`, the community rule `RedisDown` (`redis_up == 0`), the real
 * Prometheus → Alertmanager → webhook. Redis is stopped for real; the investigation must name Redis
 * and the cause from the exporter's own metric family (discovered, not templated), and the time
 * from the webhook's investigation start to the first hypothesis is printed.
 */
let stack: IncidentStack;
let alerting: Alerting | undefined;
let redis: ChildProcess | undefined;
let exporter: ChildProcess | undefined;

function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

beforeAll(async () => {
  const [redisPort, exporterPort] = [await freePort(), await freePort()];
  redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  exporter = spawn('prometheus-redis-exporter', [`--redis.addr=redis://127.0.0.1:${redisPort}`, `--web.listen-address=127.0.0.1:${exporterPort}`], { stdio: 'ignore' });
  stack = await startIncidentStack('realexp', { INCIDENT_RATE_WINDOW: '5s', INCIDENT_RECHECK_INTERVAL: '3s' }, { worker: false });
  alerting = await startAlerting({
    exporter: `127.0.0.1:${exporterPort}`,
    webhookUrl: `${stack.url}/api/v1/webhooks/alertmanager`,
    token: WEBHOOK_TOKEN,
    jobs: [{ name: 'redis', target: `127.0.0.1:${exporterPort}` }],
    groupBy: ['alertname', 'job'],
    // As the community writes it (awesome-prometheus-alerts), `for` shortened for the test.
    rules: [
      [
        '      - alert: RedisDown',
        '        expr: redis_up == 0',
        '        for: 1s',
        '        labels: { severity: critical }',
        '        annotations: { summary: "Redis down (instance {{ $labels.instance }})" }',
      ].join('\n'),
    ],
  });
  stack.config.PROMETHEUS_URL = alerting.prometheusUrl;
  await stack.startWorker();
}, 60_000);
afterAll(async () => {
  await stack?.close();
  await alerting?.stop();
  await stopChild(exporter);
  await stopChild(redis);
});

test('Redis stopped for real: the investigation names redis and "Redis is down" from redis_exporter', async () => {
  // Healthy first, long enough for the investigation's range step to see redis_up = 1 before the start.
  await until(
    async () => {
      const r = await fetch(`${alerting!.prometheusUrl}/api/v1/query?query=redis_up`).then((x) => x.json() as Promise<{ data: { result: { value: [number, string] }[] } }>);
      return r.data.result[0]?.value[1] === '1' ? true : undefined;
    },
    20_000,
    'redis_up = 1',
  );
  await new Promise((r) => setTimeout(r, 15_000));
  await stopChild(redis);
  const incident = await until(
    async () => (await stack.call('GET', '/api/v1/incidents', { token: TOKENS.viewer })).body.items[0] as { incidentId: string } | undefined,
    30_000,
    'incident from Alertmanager',
  );
  const id = incident.incidentId;
  const state = await until(
    async () => {
      const s = (await stack.call('GET', `/api/v1/incidents/${id}`, { token: TOKENS.viewer })).body;
      return s.hypotheses?.[0]?.service === 'redis' ? s : undefined;
    },
    45_000,
    'redis as the top hypothesis',
  );
  expect(state.service).toBe('redis'); // from the alert's job label
  expect(state.hypotheses[0].statement).toMatch(/Redis is down \(redis_up = 0\)/);
  expect(state.queries.some((q: { query: string }) => q.query === 'redis_up == 0')).toBe(true);
  expect(state.queries.some((q: { query: string }) => q.query.startsWith('min by (job, instance) (redis_up'))).toBe(true);
  const events = await stack.events(id);
  const started = events.find((e) => e.type === 'incident.started')!;
  const first = events.find((e) => e.type === 'incident.hypotheses' && (e.data.hypotheses as { service: string }[]).some((h) => h.service === 'redis'))!;
  process.stdout.write(
    `\nreal Redis stopped: investigation start → first redis hypothesis ${new Date(first.createdAt).getTime() - new Date(started.createdAt).getTime()} ms, ${state.budget.queriesUsed} queries\n`,
  );
}, 150_000);
