import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SqlAuditLog, type AuditRecord } from '../../audit/auditLog';
import type { RunbookDocument } from '../../domain/runbook';
import { AUTH_TOKENS, catalogueOf, deployService, TOKENS } from '../api/support/fixtures';
import { openBackends, startApi, type Backends, type TestApi } from '../api/support/testApi';
import { startTestWorker, type TestWorker } from '../api/support/testWorker';
import { connectHttp, structuredOf, textOf } from './support/mcpClient';

/**
 * The copilot's MCP server through the SDK's own Client over streamable HTTP, against the running
 * system: real Temporal server and worker, real Postgres (event log, audit trail), real Prometheus.
 * One API with approvals off (the default) and one with MCP_ALLOW_APPROVALS=true on the same backends.
 */
const gatedName = `mcp-gated-${Date.now().toString(36)}`;
const gated: RunbookDocument = {
  name: gatedName,
  description: 'Prepares, waits for a four-eyes approval, then ships (test fixture: only waits).',
  params: { service: { type: 'string', required: true, pattern: '^[a-z]+$' } },
  steps: [
    { id: 'prep', type: 'wait', duration: '100ms' },
    { id: 'gate', type: 'approval', needs: ['prep'], fourEyes: true, approvers: { roles: ['approver'], count: 1 }, message: 'ship ${{ params.service }}?' },
    { id: 'ship', type: 'wait', needs: ['gate'], duration: '100ms' },
  ],
};
const catalogue = catalogueOf([gated, deployService]);

let backends: Backends;
let worker: TestWorker;
let api: TestApi;
let approvalsApi: TestApi;
let audit: SqlAuditLog;
const clients: Client[] = [];

async function client(token: string | undefined, on: TestApi = api): Promise<Client> {
  const c = await connectHttp(on.url, token);
  clients.push(c);
  return c;
}

async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function mcpAudit(subject: string, action: string): Promise<AuditRecord[]> {
  return (await audit.list({ surface: 'mcp', subject, action, limit: 100 })).items;
}

beforeAll(async () => {
  backends = await openBackends('mcp');
  worker = await startTestWorker(backends, catalogue);
  audit = new SqlAuditLog(backends.db);
  const env = { AUTH_TOKENS, PROMETHEUS_URL: process.env.TEST_PROMETHEUS_URL! };
  api = await startApi(backends, { catalogue, env, audit });
  approvalsApi = await startApi(backends, { catalogue, env: { ...env, MCP_ALLOW_APPROVALS: 'true' }, audit });
});

afterAll(async () => {
  for (const c of clients) await c.close().catch(() => undefined);
  await api?.close();
  await approvalsApi?.close();
  await worker?.stop();
  await backends?.close();
});

describe('the MCP endpoint', () => {
  it('refuses a client without a token with 401 and WWW-Authenticate, like /api/v1', async () => {
    await expect(connectHttp(api.url)).rejects.toThrow(/401/);
    const res = await fetch(`${api.url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(res.headers.get('content-type')).toMatch(/problem\+json/);
  });

  it('shares the per-subject rate limit of /api/v1: past it, a 429 problem with Retry-After', async () => {
    const limited = await startApi(backends, { catalogue, env: { AUTH_TOKENS, RATE_LIMIT_PER_SUBJECT: '8' } });
    try {
      const c = await connectHttp(limited.url, TOKENS.viewer);
      clients.push(c);
      expect((await limited.call('GET', '/api/v1/runbooks', { token: TOKENS.viewer })).status).toBe(200);
      // MCP requests and REST requests draw on the same per-subject allowance of 8.
      let refusal: unknown;
      for (let i = 0; i < 10 && refusal === undefined; i++) await c.listTools().catch((err: unknown) => (refusal = err));
      expect(String(refusal)).toMatch(/rate-limited.*"status":429.*the limit is 8 per 60 s \(subject\)/s);
      const res = await limited.call('GET', '/api/v1/runbooks', { token: TOKENS.viewer });
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    } finally {
      await limited.close();
    }
  });

  it('lists the tools with their zod-derived input schemas and truthful annotations; approving is not one of them', async () => {
    const c = await client(TOKENS.viewer);
    expect(c.getServerVersion()?.name).toBe('copilot');
    const { tools } = await c.listTools();
    const names = tools.map((t) => t.name).sort();
    expect(names).toEqual([
      'add_incident_note',
      'cancel_run',
      'describe_runbook',
      'get_incident',
      'get_run',
      'list_incidents',
      'list_pending_approvals',
      'list_runbooks',
      'list_runs',
      'plan_run',
      'query_logs',
      'query_metrics',
      'search_memory',
      'search_traces',
      'start_run',
    ]);
    const byName = new Map(tools.map((t) => [t.name, t]));
    expect(byName.get('start_run')!.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(byName.get('cancel_run')!.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(byName.get('add_incident_note')!.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: false });
    for (const read of ['list_runbooks', 'get_run', 'list_runs', 'query_metrics', 'query_logs', 'search_traces', 'get_incident', 'search_memory', 'plan_run']) {
      expect(byName.get(read)!.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false });
    }
    // The REST schemas: RunbookName's pattern, idempotencyKey's rules, strict objects.
    const start = byName.get('start_run')!.inputSchema as { properties: Record<string, { pattern?: string }>; required?: string[]; additionalProperties?: boolean };
    expect(start.properties.runbook!.pattern).toBe('^[a-z][a-z0-9-]{0,62}$');
    expect(start.properties.idempotencyKey!.pattern).toBe('^[A-Za-z0-9._:-]+$');
    expect(start.required).toContain('runbook');
    expect(start.additionalProperties).toBe(false);
    expect(byName.get('get_run')!.outputSchema).toBeDefined();
  });

  it('start_run returns the run id, status and the gate it will wait at; with wait it follows the run with progress notifications until the gate', async () => {
    const c = await client(TOKENS.operator);
    const progress: string[] = [];
    const result = await c.callTool({ name: 'start_run', arguments: { runbook: gatedName, params: { service: 'payments' }, wait: true, waitSeconds: 30 } }, undefined, {
      onprogress: (p) => void progress.push(p.message ?? ''),
      timeout: 60_000,
    });
    const out = structuredOf<{
      runId: string;
      status: string;
      created: boolean;
      gates: { gateId: string; stops: string; message?: string; fourEyes: boolean }[];
      followed: { stoppedAt?: string };
      state: { waitingFor?: string };
    }>(result);
    expect(out.runId).toMatch(/^run-/);
    expect(out.created).toBe(true);
    expect(out.gates).toEqual([expect.objectContaining({ gateId: 'gate', stops: 'stop', fourEyes: true, message: 'ship payments?' })]);
    expect(out.status).toBe('waiting_approval');
    expect(out.followed.stoppedAt).toBe('approval.requested');
    expect(progress).toContain('approval.requested gate');
    expect(progress.some((p) => p.startsWith('step.'))).toBe(true);

    // The run really waits at its gate: the REST API says so too.
    const rest = await api.call<{ status: string; approvals: { gateId: string; status: string }[] }>('GET', `/api/v1/runs/${out.runId}`, { token: TOKENS.viewer });
    expect(rest.body).toMatchObject({ status: 'waiting_approval', approvals: [{ gateId: 'gate', status: 'pending' }] });

    const pending = structuredOf<{ items: { runId: string; gateId: string }[] }>(await c.callTool({ name: 'list_pending_approvals', arguments: {} }));
    expect(pending.items).toContainEqual(expect.objectContaining({ runId: out.runId, gateId: 'gate' }));

    // Audited as a REST start would be, with surface mcp, the caller and the run id.
    const rows = await eventually(async () => {
      const found = (await mcpAudit('olga', 'run.start')).filter((r) => r.target === out.runId);
      return found.length ? found : undefined;
    });
    expect(rows[0]).toMatchObject({ surface: 'mcp', outcome: 'ok', roles: ['operator'], statusCode: 200 });
  });

  it('refuses an approval through MCP: there is no such tool, and the run still waits', async () => {
    const c = await client(TOKENS.admin);
    const started = structuredOf<{ runId: string }>(await c.callTool({ name: 'start_run', arguments: { runbook: gatedName, params: { service: 'billing' } } }));
    await eventually(async () => ((await backends.runs.getState(started.runId)).status === 'waiting_approval' ? true : undefined));
    const attempt = await c.callTool({ name: 'decide_approval', arguments: { runId: started.runId, gateId: 'gate', decision: 'approve' } });
    expect(attempt.isError).toBe(true);
    expect(textOf(attempt)).toMatch(/decide_approval not found/);
    const state = await backends.runs.getState(started.runId);
    expect(state.status).toBe('waiting_approval');
    expect(state.approvals[0]!.votes).toEqual([]);
  });

  it('a viewer token cannot start a run: a tool error naming the role, audited as refused', async () => {
    const c = await client(TOKENS.viewer);
    const result = await c.callTool({ name: 'start_run', arguments: { runbook: gatedName, params: { service: 'payments' } } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/requires the "operator" role/);
    const rows = await eventually(async () => {
      const found = await mcpAudit('vera', 'run.start');
      return found.length ? found : undefined;
    });
    expect(rows[0]).toMatchObject({ outcome: 'refused', statusCode: 403, surface: 'mcp' });
    const runs = await backends.runs.listRuns({ pageSize: 100, runbook: gatedName });
    expect(runs.items.every((r) => r.requestedBy !== 'vera')).toBe(true);
  });

  it('a bad argument is a tool error naming the field', async () => {
    const c = await client(TOKENS.operator);
    const badName = await c.callTool({ name: 'start_run', arguments: { runbook: 'Not A Name', params: {} } });
    expect(badName.isError).toBe(true);
    expect(textOf(badName)).toMatch(/runbook/);
    expect(textOf(badName)).toMatch(/lower-case letters, digits and "-"/);

    const unknownField = await c.callTool({ name: 'get_run', arguments: { runId: 'run-abc', extra: 1 } });
    expect(unknownField.isError).toBe(true);
    expect(textOf(unknownField)).toMatch(/extra/);

    // Param validation is the REST API's (domain/runParams.ts), with the same field path.
    const badParam = await c.callTool({ name: 'start_run', arguments: { runbook: gatedName, params: { service: 'NOT-OK' } } });
    expect(badParam.isError).toBe(true);
    expect(textOf(badParam)).toMatch(/params\.service/);

    const unknownRun = await c.callTool({ name: 'get_run', arguments: { runId: 'run-doesnotexist' } });
    expect(unknownRun.isError).toBe(true);
    expect(textOf(unknownRun)).toMatch(/^run-not-found/);
  });

  it('query_metrics returns real Prometheus data, and a query that does not parse never reaches Prometheus', async () => {
    const c = await client(TOKENS.viewer);
    const out = structuredOf<{ seriesCount: number; series: { labels: Record<string, string>; stats: { last: number } }[] }>(
      await c.callTool({ name: 'query_metrics', arguments: { query: 'up', minutes: 10 } }),
    );
    expect(out.seriesCount).toBeGreaterThanOrEqual(1);
    expect(out.series[0]!.labels.__name__ ?? out.series[0]!.labels.job).toBeDefined();
    expect(out.series.some((s) => s.stats.last === 1)).toBe(true);

    const bad = await c.callTool({ name: 'query_metrics', arguments: { query: 'sum(rate(up[5m]' } });
    expect(bad.isError).toBe(true);
    expect(textOf(bad)).toMatch(/query: promql syntax error/);
  });

  it('plan_run is the dry run of POST /runs/plan', async () => {
    const c = await client(TOKENS.operator);
    const plan = structuredOf<{ runbook: string; gates: { gateId: string; stops: string }[]; steps: { id: string }[] }>(
      await c.callTool({ name: 'plan_run', arguments: { runbook: gatedName, params: { service: 'payments' } } }),
    );
    expect(plan.runbook).toBe(gatedName);
    expect(plan.steps.map((s) => s.id)).toEqual(['prep', 'gate', 'ship']);
    expect(plan.gates).toEqual([expect.objectContaining({ gateId: 'gate', stops: 'stop' })]);
  });

  it('serves runbooks as YAML and run state as JSON resources', async () => {
    const c = await client(TOKENS.viewer);
    const { resources } = await c.listResources();
    expect(resources.map((r) => r.uri)).toContain(`copilot://runbooks/${gatedName}`);
    const yaml = await c.readResource({ uri: `copilot://runbooks/${gatedName}` });
    expect(yaml.contents[0]).toMatchObject({ mimeType: 'application/yaml' });
    expect((yaml.contents[0] as { text: string }).text).toMatch(new RegExp(`name: ${gatedName}`));
    const run = resources.find((r) => r.uri.startsWith('copilot://runs/'));
    expect(run).toBeDefined();
    const state = await c.readResource({ uri: run!.uri });
    expect(JSON.parse((state.contents[0] as { text: string }).text)).toMatchObject({ runbook: expect.any(String), status: expect.any(String) });
  });
});

describe('with MCP_ALLOW_APPROVALS=true', () => {
  it('approving still needs an approver token, and four-eyes still holds', async () => {
    const requester = await client(TOKENS.secondAdmin, approvalsApi);
    expect((await requester.listTools()).tools.map((t) => t.name)).toContain('decide_approval');
    const started = structuredOf<{ runId: string }>(await requester.callTool({ name: 'start_run', arguments: { runbook: gatedName, params: { service: 'ledger' }, wait: true } }));
    const args = { runId: started.runId, gateId: 'gate', decision: 'approve' };

    const viewer = await client(TOKENS.viewer, approvalsApi);
    const byViewer = await viewer.callTool({ name: 'decide_approval', arguments: args });
    expect(textOf(byViewer)).toMatch(/requires one of the roles "approver", "admin"/);

    // alan (admin + approver) requested the run: the gate's four-eyes rule refuses his own approval.
    const own = await requester.callTool({ name: 'decide_approval', arguments: args });
    expect(own.isError).toBe(true);
    expect(textOf(own)).toMatch(/^approval-forbidden/);
    expect((await backends.runs.getState(started.runId)).status).toBe('waiting_approval');

    const approver = await client(TOKENS.approver, approvalsApi);
    const decided = structuredOf<{ status: string; decidedBy: string }>(await approver.callTool({ name: 'decide_approval', arguments: args }));
    expect(decided).toMatchObject({ status: 'approved', decidedBy: 'adam' });
    await eventually(async () => ((await backends.runs.getState(started.runId)).status === 'succeeded' ? true : undefined));
    // The vote records the surface it came through.
    expect((await backends.runs.getState(started.runId)).approvals[0]!.votes[0]).toMatchObject({ approver: 'adam', via: 'mcp' });
    const rows = await eventually(async () => {
      const found = await mcpAudit('adam', 'approval.decide');
      return found.length ? found : undefined;
    });
    expect(rows[0]).toMatchObject({ outcome: 'ok', target: `${started.runId}/gate` });
  });
});
