import type { RunbookDocument } from '../../domain/runbook';
import type { StoredEvent } from '../../domain/events';
import { cpuHog, fillDisk, holdConnections, holdLocks, type Lab } from './lab';

/**
 * The live fault scenarios: each injects a real fault into the lab (lab.ts), waits for the
 * community rule to fire through Alertmanager into the copilot's webhook, and reads what the
 * investigation concluded from its events — the top hypothesis of each check, when it came, and
 * the queries it had spent. `runLiveScenarios` runs them one after another on one lab and one
 * copilot (API + worker), tearing each fault down and resolving its incident before the next.
 * Used by `npm run evals` (evals/run.ts, "Live faults") and test/incidents/liveFaults.e2e.test.ts.
 */

/** What the harness needs of a running copilot: its API and the incident event stream. */
export interface LiveCopilot {
  // The API's answers are read as the JSON they are; each use narrows what it needs.
  call(method: string, path: string, options?: { token?: string; json?: unknown }): Promise<{ status: number; body: unknown }>;
  events(incidentId: string): Promise<StoredEvent[]>;
  tokens: { viewer: string; operator: string };
}

/** The demo system's versions: v1 is healthy, v2 has a bug on the checkout path. */
export const GOOD_VERSION = 'v1.4.0';
export const BROKEN_VERSION = 'v1.5.0';

/**
 * The shipped deploy-service runbook reduced to its rollout and smoke check (no build script, no
 * approval in staging): its http step POSTs to the deploy API at DEPLOY_API_URL, here the demo
 * storefront's, so the rollout is a real run whose `run.started` the investigation finds.
 */
export const LAB_DEPLOY_RUNBOOK: RunbookDocument = {
  name: 'deploy-service',
  description: 'Roll out a version of a service through the deploy API, then check it reports that version',
  params: {
    service: { type: 'string', required: true, pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$' },
    version: { type: 'string', required: true, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' },
    environment: { type: 'string', enum: ['staging', 'production'], default: 'staging' },
  },
  steps: [
    {
      id: 'deploy',
      type: 'http',
      request: {
        method: 'POST',
        url: '${{ env.DEPLOY_API_URL }}/deployments',
        json: { service: '${{ params.service }}', version: '${{ params.version }}', environment: '${{ params.environment }}' },
      },
      timeout: '30s',
    },
    {
      id: 'smoke',
      type: 'http',
      needs: ['deploy'],
      request: { method: 'GET', url: '${{ env.DEPLOY_API_URL }}/deployments/${{ params.service }}' },
      assert: 'output.body.version == params.version',
      timeout: '30s',
    },
  ],
};

export interface LiveScenario {
  id: string;
  fault: string;
  /** The rule that must fire for it. */
  alertname: string;
  /** The component the top hypothesis must name (may depend on the lab's addresses). */
  component(lab: Lab): string;
  /** Patterns the top hypothesis' statement must all contain: the cause. */
  cause: RegExp[];
  /** Injects the fault; returns its undo. */
  inject(lab: Lab, copilot: LiveCopilot): Promise<() => Promise<void>>;
}

async function runDeploy(copilot: LiveCopilot, version: string): Promise<string> {
  const started = await copilot.call('POST', '/api/v1/runs', {
    token: copilot.tokens.operator,
    json: { runbook: 'deploy-service', params: { service: 'storefront', version, environment: 'staging' } },
  });
  if (started.status !== 202) throw new Error(`deploy run refused: ${started.status} ${JSON.stringify(started.body)}`);
  const { runId } = started.body as { runId: string };
  await poll(
    async () => {
      const s = (await copilot.call('GET', `/api/v1/runs/${runId}`, { token: copilot.tokens.viewer })).body as { status: string };
      if (s.status === 'failed' || s.status === 'cancelled') throw new Error(`deploy run ${runId} ${s.status}`);
      return s.status === 'succeeded' ? true : undefined;
    },
    30_000,
    `deploy run ${runId}`,
  );
  return runId;
}

export const LIVE_SCENARIOS: LiveScenario[] = [
  {
    id: 'redis-stopped',
    fault: 'redis-server stopped (SIGTERM)',
    alertname: 'RedisDown',
    component: () => 'redis',
    cause: [/Redis is down \(redis_up = 0\)/],
    async inject(lab) {
      await lab.stopRedis();
      return () => lab.startRedis();
    },
  },
  {
    id: 'cpu-hog',
    fault: 'busy loops on every core (niced, bounded to 60 s)',
    alertname: 'HostHighCpuLoad',
    component: (lab) => lab.nodeInstance,
    cause: [/host CPU busy/],
    async inject() {
      const hog = cpuHog(60_000);
      return () => hog.stop();
    },
  },
  {
    id: 'disk-full',
    fault: '8 MiB tmpfs filled to 95 %',
    alertname: 'HostOutOfDiskSpace',
    component: (lab) => lab.nodeInstance,
    cause: [/filesystem filling up/],
    async inject(lab) {
      const undo = fillDisk(lab.diskMount, lab.diskBytes, 0.95);
      return async () => undo();
    },
  },
  {
    id: 'pg-connections',
    fault: 'connections held open up to 90 % of max_connections',
    alertname: 'PostgresqlTooManyConnections',
    component: () => 'postgres',
    cause: [/PostgreSQL connections used/],
    async inject(lab) {
      // The exporter holds one connection already.
      const release = await holdConnections(lab.postgresUrl, Math.ceil(lab.postgresMaxConnections * 0.9) - 1);
      return release;
    },
  },
  {
    id: 'pg-locks',
    fault: 'one transaction holding ACCESS EXCLUSIVE locks on 300 tables',
    alertname: 'PostgresqlTooManyLocksAcquired',
    component: () => 'postgres',
    cause: [/PostgreSQL exclusive locks held/],
    async inject(lab) {
      // 300 of max_locks_per_transaction (64) × max_connections (20) = 1280 slots: above the rule's 20 %.
      return holdLocks(lab.postgresUrl, 300);
    },
  },
  {
    id: 'dependency-latency',
    fault: '400 ms added to every answer of inventory (storefront’s dependency)',
    alertname: 'HighLatency',
    component: () => 'inventory',
    cause: [/p95 latency/],
    async inject(lab) {
      lab.demo.setInventoryDelay(400);
      return async () => lab.demo.setInventoryDelay(0);
    },
  },
  {
    id: 'deploy-5xx',
    fault: `storefront ${BROKEN_VERSION} rolled out by a deploy-service run, then 60 % of checkouts 5xx`,
    alertname: 'HighErrorRate',
    component: () => 'storefront',
    cause: [/HTTP 5xx rate/, /\bdeploy\b/],
    async inject(_lab, copilot) {
      await runDeploy(copilot, BROKEN_VERSION);
      return async () => void (await runDeploy(copilot, GOOD_VERSION));
    },
  },
];

export interface LiveRow {
  id: string;
  fault: string;
  alertname: string;
  expected: string;
  incidentId?: string;
  /** Top hypothesis when the scenario ended: the first right one, or the last one seen. */
  top?: { service: string; statement: string; confidence: number };
  right: boolean;
  /** The fault could not be attributed (its rule was firing before it, from outside load): not scored. */
  notRun?: boolean;
  /** Was the FIRST check's top hypothesis already right (before any recheck)? */
  firstCheckRight: boolean;
  /** Webhook arrival → first `incident.hypotheses` with a hypothesis. */
  firstHypothesisMs?: number;
  /** Webhook arrival → the first check whose top hypothesis was right. */
  rightMs?: number;
  /** Checks (analyses) until then, and queries spent by then. */
  checks: number;
  queries: number;
  error?: string;
}

async function poll<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function firing(lab: Lab, alertname: string): Promise<boolean> {
  const q = encodeURIComponent(`ALERTS{alertname="${alertname}"}`);
  const r = (await fetch(`${lab.prometheusUrl}/api/v1/query?query=${q}`).then((x) => x.json())) as { data: { result: unknown[] } };
  return r.data.result.length > 0;
}

interface Analysis {
  top: { service: string; statement: string; confidence: number } | null;
  queries: number;
}

export interface LiveOptions {
  /** How long a scenario may wait for its alert's webhook, and then for a right hypothesis. */
  alertTimeoutMs?: number;
  hypothesisTimeoutMs?: number;
  only?: string[];
  log?: (line: string) => void;
}

/** One scenario: inject, wait for the webhook, follow the checks until the top is right or time is up, undo. */
export async function runLiveScenario(s: LiveScenario, lab: Lab, copilot: LiveCopilot, options: LiveOptions = {}): Promise<LiveRow> {
  const expected = s.component(lab);
  const row: LiveRow = { id: s.id, fault: s.fault, alertname: s.alertname, expected, right: false, firstCheckRight: false, checks: 0, queries: 0 };
  // A rule still firing (outside load on a shared host) would not notify again, and its incident
  // would not be this fault's: wait for it to clear, else report the scenario as not attributable.
  const clear = await poll(async () => ((await firing(lab, s.alertname)) ? undefined : true), 45_000, s.alertname).catch(() => false);
  if (!clear) {
    row.notRun = true;
    row.error = `not run: ${s.alertname} was already firing before the fault (load from outside the lab) and did not clear within 45 s`;
    options.log?.(`${s.id}: ${row.error}`);
    return row;
  }
  const since = Date.now();
  const undo = await s.inject(lab, copilot);
  try {
    const arrival = await poll(
      async () => lab.arrivals.find((a) => a.at >= since && a.alertname === s.alertname && a.status === 'firing' && a.incidentId),
      options.alertTimeoutMs ?? 45_000,
      `${s.alertname} webhook`,
    );
    row.incidentId = arrival.incidentId!;
    const right = (top: Analysis['top']) => Boolean(top && top.service === expected && s.cause.every((c) => c.test(top.statement)));
    const deadline = Date.now() + (options.hypothesisTimeoutMs ?? 40_000);
    let events: StoredEvent[] = [];
    for (;;) {
      events = await copilot.events(row.incidentId);
      const analyses = events.filter((e) => e.type === 'incident.analysis');
      const hit = analyses.find((e) => right((e.data as unknown as Analysis).top));
      row.firstCheckRight = analyses.length > 0 && right((analyses[0]!.data as unknown as Analysis).top);
      if (hit) {
        const a = hit.data as unknown as Analysis;
        row.right = true;
        row.top = a.top!;
        row.rightMs = new Date(hit.createdAt).getTime() - arrival.at;
        row.checks = analyses.indexOf(hit) + 1;
        row.queries = a.queries;
        break;
      }
      if (Date.now() > deadline) {
        const last = analyses.at(-1)?.data as unknown as Analysis | undefined;
        if (last?.top) row.top = last.top;
        row.checks = analyses.length;
        row.queries = last?.queries ?? 0;
        break;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    const first = events.find((e) => e.type === 'incident.hypotheses' && ((e.data as { hypotheses?: unknown[] }).hypotheses?.length ?? 0) > 0);
    if (first) row.firstHypothesisMs = new Date(first.createdAt).getTime() - arrival.at;
  } catch (err) {
    row.error = (err as Error).message;
  } finally {
    await undo();
    if (row.incidentId) await copilot.call('POST', `/api/v1/incidents/${row.incidentId}/resolve`, { token: copilot.tokens.operator, json: { resolution: `eval: ${s.id} undone` } });
  }
  options.log?.(`${s.id}: ${row.right ? 'right' : 'WRONG'} — ${row.top ? `${row.top.service}: ${row.top.statement}` : (row.error ?? 'no hypothesis')}`);
  return row;
}

export async function runLiveScenarios(lab: Lab, copilot: LiveCopilot, options: LiveOptions = {}): Promise<LiveRow[]> {
  const rows: LiveRow[] = [];
  for (const s of LIVE_SCENARIOS) if (!options.only || options.only.includes(s.id)) rows.push(await runLiveScenario(s, lab, copilot, options));
  return rows;
}

/** The markdown table `npm run evals` prints. */
export function liveTable(rows: LiveRow[]): string[] {
  const ms = (x: number | undefined) => (x === undefined ? '—' : `${x} ms`);
  const cell = (t: string) => t.replace(/\|/g, '\\|').slice(0, 160);
  return [
    '| scenario | fault | alert | top hypothesis (confidence) — cause | right? | first check right? | webhook → first hypothesis | webhook → right hypothesis | checks | queries |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.id} | ${cell(r.fault)} | ${r.alertname} | ${r.top ? cell(`${r.top.service} (${r.top.confidence}) — ${r.top.statement}`) : cell(r.error ?? 'none')} | ${r.right ? 'right' : r.notRun ? 'not run' : `WRONG (want ${r.expected})`} | ${r.firstCheckRight ? 'yes' : 'no'} | ${ms(r.firstHypothesisMs)} | ${ms(r.rightMs)} | ${r.checks} | ${r.queries} |`,
    ),
  ];
}
