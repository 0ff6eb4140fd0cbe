import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { RunbookDocument } from '../../domain/runbook';
import { AUTH_TOKENS, catalogueOf, TOKENS } from '../api/support/fixtures';
import { openBackends, startApi, type Backends, type TestApi } from '../api/support/testApi';
import { startTestWorker, type TestWorker } from '../api/support/testWorker';
import { structuredOf, textOf } from './support/mcpClient';

/**
 * `copilot mcp` over stdio, spawned as a real process and driven by the SDK's Client with
 * StdioClientTransport, against the real API (Temporal, worker, Postgres): the same tools, the
 * same roles and the same gates as the HTTP endpoint, because it only forwards to it.
 */
const gatedName = `mcp-stdio-${Date.now().toString(36)}`;
const gated: RunbookDocument = {
  name: gatedName,
  steps: [
    { id: 'prep', type: 'wait', duration: '100ms' },
    { id: 'gate', type: 'approval', needs: ['prep'], approvers: { roles: ['approver'], count: 1 } },
  ],
};
const catalogue = catalogueOf([gated]);
const root = path.resolve(__dirname, '../..');
const configDir = mkdtempSync(path.join(os.tmpdir(), 'copilot-mcp-cli-'));

let backends: Backends;
let worker: TestWorker;
let api: TestApi;
const clients: Client[] = [];

/** Spawns `copilot mcp` (cli/bin.js, what the `copilot` bin runs) with the user's token and an empty config dir. */
function stdioTransport(token: string): StdioClientTransport {
  return new StdioClientTransport({
    command: process.execPath,
    args: [path.join(root, 'cli/bin.js'), 'mcp'],
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: configDir, COPILOT_CONFIG_DIR: configDir, COPILOT_API_URL: api.url, COPILOT_TOKEN: token },
    stderr: 'pipe',
  });
}

async function connect(token: string): Promise<Client> {
  const client = new Client({ name: 'copilot-stdio-test', version: '1.0.0' });
  await client.connect(stdioTransport(token));
  clients.push(client);
  return client;
}

beforeAll(async () => {
  backends = await openBackends('mcpstdio');
  worker = await startTestWorker(backends, catalogue);
  api = await startApi(backends, { catalogue, env: { AUTH_TOKENS } });
});

afterAll(async () => {
  for (const c of clients) await c.close().catch(() => undefined);
  await api?.close();
  await worker?.stop();
  await backends?.close();
});

test('copilot mcp over stdio: the same tools, start_run waits at its gate (progress relayed), a viewer cannot start', async () => {
  const operator = await connect(TOKENS.operator);
  const { tools } = await operator.listTools();
  expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['start_run', 'get_run', 'query_metrics', 'list_pending_approvals']));
  expect(tools.map((t) => t.name)).not.toContain('decide_approval');

  const progress: string[] = [];
  const started = structuredOf<{ runId: string; status: string; gates: { gateId: string }[] }>(
    await operator.callTool({ name: 'start_run', arguments: { runbook: gatedName, params: {}, wait: true } }, undefined, {
      onprogress: (p) => void progress.push(p.message ?? ''),
    }),
  );
  expect(started.status).toBe('waiting_approval');
  expect(started.gates.map((g) => g.gateId)).toEqual(['gate']);
  expect(progress).toContain('approval.requested gate');
  expect((await backends.runs.getState(started.runId)).requestedBy).toBe('olga');

  const run = await operator.readResource({ uri: `copilot://runs/${started.runId}` });
  expect(JSON.parse((run.contents[0] as { text: string }).text)).toMatchObject({ runId: started.runId, status: 'waiting_approval' });

  const viewer = await connect(TOKENS.viewer);
  const refused = await viewer.callTool({ name: 'start_run', arguments: { runbook: gatedName, params: {} } });
  expect(refused.isError).toBe(true);
  expect(textOf(refused)).toMatch(/requires the "operator" role/);
});

test('a token the API does not know: copilot mcp exits instead of serving', async () => {
  const client = new Client({ name: 'copilot-stdio-test', version: '1.0.0' });
  await expect(client.connect(stdioTransport('not-a-known-token-123'))).rejects.toThrow();
  await client.close().catch(() => undefined);
});
