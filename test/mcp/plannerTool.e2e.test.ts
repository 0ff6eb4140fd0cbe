import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SqlAuditLog } from '../../audit/auditLog';
import { loadConfig } from '../../config/env';
import type { RunbookDocument } from '../../domain/runbook';
import { COMPOSE_TOOL } from '../../runbooks/planner/composeTool';
import { createRunbookPlanner } from '../../runbooks/planner/plannerWiring';
import { AUTH_TOKENS, catalogueOf, TOKENS } from '../api/support/fixtures';
import { openBackends, startApi, type Backends, type TestApi } from '../api/support/testApi';
import { startFakeAnthropic, type FakeAnthropic } from '../chat/support/fakeAnthropic';
import { connectHttp, structuredOf, textOf } from './support/mcpClient';

/**
 * `compose_runbook` over MCP (the SDK's own client, streamable HTTP) with the FAKE Anthropic Messages
 * API composing, real Postgres (drafts, audit) and the real Temporal server: an MCP client can only
 * propose — the tool saves a draft and returns its plan; nothing starts, no MCP tool starts or
 * promotes a draft, a viewer is refused, and the call is audited on surface mcp.
 */
const suffix = Date.now().toString(36);
const quickWait: RunbookDocument = { name: `mcp-quick-${suffix}`, description: 'Waits briefly', steps: [{ id: 'pause', type: 'wait', duration: '100ms' }] };
const catalogue = catalogueOf([quickWait]);
const draftName = `mcp-draft-${suffix}`;

let backends: Backends;
let anthropic: FakeAnthropic;
let api: TestApi;
let audit: SqlAuditLog;
let dir: string;
const clients: Client[] = [];

beforeAll(async () => {
  backends = await openBackends('mcpplanner');
  anthropic = await startFakeAnthropic();
  anthropic.fallback = () => ({
    kind: 'tool_use',
    name: COMPOSE_TOOL,
    input: {
      name: draftName,
      description: 'Gate then wait',
      steps: [
        { id: 'gate', type: 'approval' },
        { id: 'then', type: 'runbook', needs: ['gate'], runbook: quickWait.name },
      ],
    },
  });
  audit = new SqlAuditLog(backends.db);
  dir = mkdtempSync(path.join(os.tmpdir(), 'mcp-planner-'));
  const config = loadConfig({ NODE_ENV: 'test', ANTHROPIC_API_KEY: anthropic.apiKey, ANTHROPIC_BASE_URL: anthropic.url });
  api = await startApi(backends, { catalogue, env: { AUTH_TOKENS }, audit, planner: createRunbookPlanner(config, backends.db, catalogue, { catalogueDir: dir }) });
});
afterAll(async () => {
  for (const c of clients) await c.close().catch(() => undefined);
  await api?.close();
  await anthropic?.close();
  await backends?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function client(token: string): Promise<Client> {
  const c = await connectHttp(api.url, token);
  clients.push(c);
  return c;
}

test('compose_runbook proposes a draft (plan, digest) and starts nothing; no MCP tool starts or promotes a draft', async () => {
  const c = await client(TOKENS.operator);
  const tools = (await c.listTools()).tools;
  const compose = tools.find((t) => t.name === 'compose_runbook');
  expect(compose?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: false });
  expect(tools.map((t) => t.name).filter((n) => /draft|promote/.test(n))).toEqual([]);

  const result = structuredOf<{ source: string; draftId: string; digest: string; plan: { gates: { gateId: string }[] } }>(
    await c.callTool({ name: 'compose_runbook', arguments: { goal: 'wait for an approval, then wait' } }),
  );
  expect(result).toMatchObject({ source: 'llm', draftId: expect.any(String), digest: expect.stringMatching(/^sha256:/) });
  expect(result.plan.gates.map((g) => g.gateId)).toEqual(['gate']);
  const draft = await api.call('GET', `/api/v1/runbooks/drafts/${result.draftId}`, { token: TOKENS.viewer });
  expect(draft.body.draft).toMatchObject({ status: 'draft', createdBy: 'olga' });
  const runs: string[] = [];
  for await (const run of backends.client.workflow.list({ query: `Runbook = "${draftName}"` })) runs.push(run.workflowId);
  expect(runs).toEqual([]);
  const rows = (await audit.list({ surface: 'mcp', action: 'runbook.compose', limit: 10 })).items;
  expect(rows).toEqual([expect.objectContaining({ subject: 'olga', target: result.draftId, outcome: 'ok' })]);
});

test('a viewer may not compose', async () => {
  const c = await client(TOKENS.viewer);
  const refused = await c.callTool({ name: 'compose_runbook', arguments: { goal: 'anything' } });
  expect(refused.isError).toBe(true);
  expect(textOf(refused)).toMatch(/requires the "operator" role/);
});
