import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { parser as promqlParser } from '@prometheus-io/lezer-promql';
import { checkQuery } from '../../chat/query/grammar';
import { freePort } from '../../temporal/devServer';
import { ADMIN, APPROVER, ROOT, startProductionStack, waitFor, type ProductionStack } from './support/productionStack';

/**
 * The production processes (`npm run api`, `npm run worker`) scraped by a real Prometheus that
 * also loads deploy/prometheus/copilot-rules.yml: every metric named by the Grafana dashboard and
 * the alert rules must be one that this scrape exposes, and every expression must parse with the
 * PromQL grammar. A run with an approval gate goes through first so run, step, approval, HTTP and
 * Temporal SDK series carry samples.
 */
const METRICS_TOKEN = 'metrics-token-0123456789';
jest.setTimeout(240_000);

let stack: ProductionStack;
let promDir: string;
let workerMetricsUrl: string;
let apiMetricsUrl: string;
let promUrl: string;

async function prom(pathname: string): Promise<any> {
  const res = await fetch(`${promUrl}${pathname}`);
  return ((await res.json()) as { data: unknown }).data;
}

beforeAll(async () => {
  stack = await startProductionStack({ METRICS_TOKEN });
  apiMetricsUrl = `${stack.apiUrl}/metrics`;
  workerMetricsUrl = `http://127.0.0.1:${stack.workerMetricsPort}/metrics`;

  // A run through a gate: restart-service in production waits for an approver, then restarts.
  const started = await stack.call('POST', '/api/v1/runs', ADMIN, { runbook: 'restart-service', params: { service: 'auth', environment: 'production' } });
  expect(started.status).toBe(202);
  const runId = started.body.runId as string;
  await waitFor('gate open', async () => {
    const state = await stack.call('GET', `/api/v1/runs/${runId}`, ADMIN);
    return state.body?.status === 'waiting_approval' ? true : undefined;
  });
  expect((await stack.call('POST', `/api/v1/runs/${runId}/approvals/approve`, APPROVER, { decision: 'approve' })).status).toBe(200);
  await waitFor('run finished', async () => {
    const state = await stack.call('GET', `/api/v1/runs/${runId}`, ADMIN);
    return ['succeeded', 'failed'].includes(state.body?.status) ? state.body.status : undefined;
  });

  promDir = mkdtempSync(path.join(os.tmpdir(), 'copilot-prom-metrics-'));
  const promPort = await freePort();
  const rules = path.join(ROOT, 'deploy/prometheus/copilot-rules.yml');
  const config = path.join(promDir, 'prometheus.yml');
  const target = (job: string, url: string) => {
    const u = new URL(url);
    return [`  - job_name: ${job}`, `    authorization: { credentials: ${METRICS_TOKEN} }`, `    static_configs: [{ targets: ["${u.host}"] }]`];
  };
  writeFileSync(
    config,
    [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      `rule_files: ["${rules}"]`,
      'scrape_configs:',
      ...target('copilot-api', apiMetricsUrl),
      ...target('copilot-worker', workerMetricsUrl),
      '',
    ].join('\n'),
  );
  promUrl = `http://127.0.0.1:${promPort}`;
  stack.spawn(['prometheus', `--config.file=${config}`, `--storage.tsdb.path=${path.join(promDir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`]);
  await waitFor('Prometheus scraped both targets', async () => {
    const data = await prom('/api/v1/query?query=' + encodeURIComponent('up{job=~"copilot-.*"} == 1'));
    return data?.result?.length === 2 ? true : undefined;
  });
  // The run's terminal event is counted by the worker; wait until Prometheus has it.
  await waitFor('run metrics scraped', async () => {
    const data = await prom('/api/v1/query?query=copilot_runs_finished_total');
    return data?.result?.length > 0 ? true : undefined;
  });
});

afterAll(async () => {
  await stack?.stop();
  if (promDir) rmSync(promDir, { recursive: true, force: true });
});

/** Grafana's variables, as a dashboard user would have them. */
function interpolate(expr: string): string {
  return expr.replaceAll('$__rate_interval', '1m').replaceAll('$api_job', 'copilot-api').replaceAll('$worker_job', 'copilot-worker');
}

/** Metric names a PromQL expression selects, read from the grammar's tree (not by regex). */
function metricNames(expr: string): string[] {
  const names: string[] = [];
  promqlParser.parse(expr).iterate({
    enter(node) {
      if (node.name === 'VectorSelector') {
        const identifier = node.node.getChild('Identifier');
        if (identifier) names.push(expr.slice(identifier.from, identifier.to));
      }
    },
  });
  return names;
}

function dashboardExpressions(): string[] {
  const dashboard = JSON.parse(readFileSync(path.join(ROOT, 'deploy/grafana/copilot-dashboard.json'), 'utf8')) as {
    panels: { type: string; targets?: { expr: string }[] }[];
  };
  return dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => interpolate(t.expr)));
}

function ruleExpressions(): string[] {
  const doc = YAML.parse(readFileSync(path.join(ROOT, 'deploy/prometheus/copilot-rules.yml'), 'utf8')) as { groups: { rules: { expr: string }[] }[] };
  return doc.groups.flatMap((g) => g.rules.map((r) => r.expr));
}

test('both /metrics endpoints need the METRICS_TOKEN', async () => {
  for (const url of [apiMetricsUrl, workerMetricsUrl]) {
    const res = await fetch(url);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    expect((await fetch(url, { headers: { authorization: 'Bearer wrong-token-000000000' } })).status).toBe(401);
  }
});

test('the run left samples: started, finished with its runbook, step durations, approval wait, HTTP routes', async () => {
  const value = async (q: string) => (await prom('/api/v1/query?query=' + encodeURIComponent(q))).result as { metric: Record<string, string>; value: [number, string] }[];
  expect((await value('copilot_runs_started_total{runbook="restart-service"}'))[0]?.value[1]).toBe('1');
  const finished = await value('copilot_runs_finished_total');
  expect(finished.map((r) => r.metric.runbook)).toEqual(['restart-service']);
  expect((await value('copilot_step_duration_seconds_count{type="command"}')).length).toBeGreaterThan(0);
  expect((await value('copilot_approval_wait_seconds_count{outcome="approved"}'))[0]?.value[1]).toBe('1');
  const routes = (await value('copilot_http_request_duration_seconds_count{job="copilot-api"}')).map((r) => r.metric.route);
  expect(routes).toEqual(expect.arrayContaining(['/api/v1/runs', '/api/v1/runs/:runId']));
  expect(routes.some((r) => /run-[0-9a-f]/.test(r ?? ''))).toBe(false);
  expect((await value('copilot_runs_in_progress')).length).toBe(2);
});

test('every dashboard and rule expression parses and names only metrics the scrape exposes', async () => {
  const exposed = new Set<string>((await prom('/api/v1/label/__name__/values')) as string[]);
  const metadata = (await prom('/api/v1/metadata')) as Record<string, unknown>;
  for (const name of Object.keys(metadata)) exposed.add(name);
  const known = (name: string) => exposed.has(name) || exposed.has(name.replace(/_(bucket|count|sum)$/, ''));
  const expressions = [...dashboardExpressions(), ...ruleExpressions()];
  expect(expressions.length).toBeGreaterThan(30);
  const problems: string[] = [];
  for (const expr of expressions) {
    const parsed = checkQuery('promql', expr);
    if (!parsed.valid) problems.push(`${expr}: ${parsed.error}`);
    const names = metricNames(expr);
    if (names.length === 0) problems.push(`${expr}: selects no metric`);
    for (const name of names) if (!known(name)) problems.push(`${expr}: ${name} is not exposed`);
  }
  expect(problems).toEqual([]);
});

test('Prometheus loaded every alert rule and evaluates them without error', async () => {
  const data = (await prom('/api/v1/rules')) as { groups: { rules: { name: string; health: string; lastError?: string }[] }[] };
  const rules = data.groups.flatMap((g) => g.rules);
  expect(rules.map((r) => r.name)).toEqual(
    expect.arrayContaining(['CopilotWorkerDown', 'CopilotRunsStuck', 'CopilotApprovalGateNearExpiry', 'CopilotLlmBreakerOpen', 'CopilotEventFanoutLag']),
  );
  await waitFor(
    'rules evaluated',
    async () => {
      const now = ((await prom('/api/v1/rules')) as typeof data).groups.flatMap((g) => g.rules);
      return now.every((r) => r.health === 'ok') ? true : undefined;
    },
    30_000,
  );
});
