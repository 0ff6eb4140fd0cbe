import { LIVE_SCENARIOS, runLiveScenario, type LiveRow } from '../../evals/live/liveScenarios';
import { startLiveRig, type LiveRig } from '../../evals/live/liveRig';
import { labUnavailable } from '../../evals/live/lab';
import { TOKENS } from './support/incidentStack';

/**
 * Real faults on real exporters (evals/live/): redis-server, a private PostgreSQL, node_exporter
 * on a tmpfs of ours, and our OTel-instrumented storefront → inventory system, scraped by the real
 * Prometheus with community alert rules, firing through the real Alertmanager into the webhook of
 * one copilot (API + worker) shared by every scenario. Each fault is injected for real, one after
 * another, and torn down before the next; the top hypothesis must name the right component and
 * cause. The same harness prints the published table in `npm run evals` ("Live faults").
 */
let rig: LiveRig | undefined;
const rows: LiveRow[] = [];

beforeAll(async () => {
  // scripts/test.sh installs the packages and runs as root; anywhere else, say what is missing.
  const unavailable = labUnavailable();
  if (unavailable) throw new Error(`the live lab cannot run here: ${unavailable}`);
  rig = await startLiveRig();
}, 90_000);

afterAll(async () => {
  await rig?.stop();
  process.stdout.write(
    `\nlive faults:\n${rows.map((r) => `  ${r.id}: ${r.right ? 'right' : 'WRONG'} first hypothesis ${r.firstHypothesisMs ?? '—'} ms, right after ${r.rightMs ?? '—'} ms, ${r.checks} checks, ${r.queries} queries`).join('\n')}\n`,
  );
});

async function scenario(id: string): Promise<LiveRow> {
  const row = await runLiveScenario(
    LIVE_SCENARIOS.find((s) => s.id === id)!,
    rig!.lab,
    rig!.copilot,
  );
  rows.push(row);
  expect(row.error).toBeUndefined();
  return row;
}

test('Redis stopped: names redis, "Redis is down" from redis_exporter, the alert expression re-evaluated', async () => {
  const row = await scenario('redis-stopped');
  expect(row.top?.service).toBe('redis');
  expect(row.top?.statement).toMatch(/Redis is down \(redis_up = 0\)/);
  const state = (await rig!.stack.call('GET', `/api/v1/incidents/${row.incidentId}`, { token: TOKENS.viewer })).body;
  expect(state.service).toBe('redis'); // from the alert's job label
  expect(state.queries.some((q: { query: string }) => q.query === 'redis_up == 0')).toBe(true);
  expect(state.queries.some((q: { query: string }) => q.query.startsWith('min by (job, instance) (redis_up'))).toBe(true);
}, 120_000);

test('CPU hog on every core: names the host (node_exporter instance) and "host CPU busy"', async () => {
  const row = await scenario('cpu-hog');
  expect(row.top?.service).toBe(rig!.lab.nodeInstance);
  expect(row.top?.statement).toMatch(/host CPU busy/);
}, 120_000);

test('a tmpfs filled: names the host and "filesystem filling up" on that mountpoint', async () => {
  const row = await scenario('disk-full');
  expect(row.top?.service).toBe(rig!.lab.nodeInstance);
  expect(row.top?.statement).toMatch(/filesystem filling up/);
  expect(row.top?.statement).toContain(rig!.lab.diskMount);
  // The alert's own series (job="node") and the catalogue's (by instance) name one host, not two.
  const state = (await rig!.stack.call('GET', `/api/v1/incidents/${row.incidentId}`, { token: TOKENS.viewer })).body;
  expect(state.service).toBe('node');
  expect(state.hypotheses.some((h: { service: string }) => h.service === 'node')).toBe(false);
  expect(row.top?.statement).toMatch(/\balert\b/);
}, 120_000);

test('Postgres connections exhausted: names postgres and the connections used', async () => {
  const row = await scenario('pg-connections');
  expect(row.top?.service).toBe('postgres');
  expect(row.top?.statement).toMatch(/PostgreSQL connections used/);
}, 120_000);

test('a Postgres lock held (a stuck migration): names postgres and the exclusive locks held', async () => {
  const row = await scenario('pg-locks');
  expect(row.top?.service).toBe('postgres');
  expect(row.top?.statement).toMatch(/PostgreSQL exclusive locks held/);
}, 120_000);

test('latency injected in the dependency: names inventory, not the storefront in front of it', async () => {
  const row = await scenario('dependency-latency');
  expect(row.top?.service).toBe('inventory');
  expect(row.top?.statement).toMatch(/p95 latency/);
}, 120_000);

test('5xx after a deploy recorded by a deploy-service run: names storefront, its 5xx rate and the deploy', async () => {
  const row = await scenario('deploy-5xx');
  expect(row.top?.service).toBe('storefront');
  expect(row.top?.statement).toMatch(/HTTP 5xx rate/);
  expect(row.top?.statement).toMatch(/\bdeploy\b/);
  const state = (await rig!.stack.call('GET', `/api/v1/incidents/${row.incidentId}`, { token: TOKENS.viewer })).body;
  expect(state.queries.some((q: { kind: string; resultCount?: number }) => q.kind === 'deploys' && (q.resultCount ?? 0) > 0)).toBe(true);
}, 120_000);
