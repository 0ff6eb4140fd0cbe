import path from 'node:path';
import type { IncidentRepository } from '../../incidents/incidentRepository';
import { llmHypotheses } from '../../incidents/llmHypotheses';
import type { LlmHypothesisRequest, QueryRecord } from '../../incidents/types';
import type { LlmRequest, LlmResponse } from '../../llm/types';
import type { McpServerConfig } from '../../mcp/serversConfig';
import { startExternalMcpServer, type ExternalMcpServer } from './support/externalMcpServer';

/**
 * The hypothesis step's MCP toolsets on their own: a scripted router (the provider seam), an
 * in-memory evidence store, real MCP servers built with the SDK — one over streamable HTTP, one
 * spawned on stdio — and one that does not answer. Checks the shared allowance and that an
 * unreachable server only takes its own tools away.
 */
type Answer = Pick<LlmResponse, 'content'>;

function scriptedRouter(answers: ((req: LlmRequest) => Answer)[]) {
  const requests: LlmRequest[] = [];
  return {
    requests,
    router: {
      configured: true,
      async complete(request: LlmRequest): Promise<LlmResponse> {
        requests.push(structuredClone(request));
        const next = answers.shift();
        if (!next) throw new Error('no scripted answer left');
        const { content } = next(request);
        return {
          content,
          stopReason: content.some((c) => c.type === 'tool_use') ? 'tool_use' : 'end_turn',
          usage: { inputTokens: 90, outputTokens: 10 },
          provider: 'scripted',
          model: 'm',
        };
      },
    },
  };
}

const saved: { record: QueryRecord; body: unknown }[] = [];
const repo = { saveEvidence: async (_id: string, record: QueryRecord, body: unknown) => void saved.push({ record, body }) } as unknown as IncidentRepository;
const now = Date.now();
const base: LlmHypothesisRequest = {
  incidentId: 'inc-mcpset',
  round: 1,
  title: 'Checkout failing',
  queries: [
    {
      evidenceId: 'inc-mcpset/logs/r1/logs/0',
      kind: 'logs',
      language: 'logql',
      query: '{service=~".+"}',
      backend: 'loki',
      ranAt: new Date(now).toISOString(),
      ok: true,
      summary: '12 error lines',
    },
  ],
  signals: [],
  hypotheses: [],
  window: { start: new Date(now - 30 * 60_000).toISOString(), pivot: new Date(now - 5 * 60_000).toISOString(), end: new Date(now).toISOString() },
  scope: {},
  queryAllowance: 2,
};
const call = (name: string, input: Record<string, unknown>): Answer => ({ content: [{ type: 'tool_use', id: `t${Math.random()}`, name, input }] });
const report = (refs: string[]): Answer => ({
  content: [
    {
      type: 'tool_use',
      id: `t${Math.random()}`,
      name: 'report_hypotheses',
      input: { hypotheses: [{ statement: 'nodes under memory pressure', service: 'payments', confidence: 0.6, evidenceRefs: refs }] },
    },
  ],
});

let external: ExternalMcpServer;
let servers: McpServerConfig[];

beforeAll(async () => {
  external = await startExternalMcpServer();
  servers = [
    { name: 'k8s', url: external.url, allowedTools: ['get_pods', 'not_listed_by_server'], timeoutMs: 5000 },
    {
      name: 'nodes',
      command: process.execPath,
      args: [path.resolve(__dirname, '../../node_modules/tsx/dist/cli.mjs'), path.resolve(__dirname, 'support/stdioMcpServer.ts')],
      allowedTools: ['node_status'],
      timeoutMs: 5000,
    },
    { name: 'down', url: 'http://127.0.0.1:1/mcp', allowedTools: ['anything'], timeoutMs: 1000 },
  ];
});

afterAll(async () => {
  await external?.close();
});

beforeEach(() => {
  saved.length = 0;
  external.calls.length = 0;
});

test("HTTP and stdio toolsets share the step's query allowance; an unreachable server only removes its own tools", async () => {
  const { router, requests } = scriptedRouter([
    () => call('mcp_nodes_node_status', { node: 'node-1' }),
    () => call('mcp_k8s_get_pods', { namespace: 'prod' }),
    // The allowance of 2 is spent: this one is refused before it reaches the server.
    () => call('mcp_k8s_get_pods', { namespace: 'staging' }),
    (req) => report([/evidence id=(\S+) \(node_status/.exec(JSON.stringify(req.messages))![1]!]),
  ]);
  const result = await llmHypotheses({ router, timeoutMs: 5000, tools: { repo }, mcpServers: servers }, base);
  expect(result).toMatchObject({ ok: true, hypotheses: [{ service: 'payments' }] });

  const offered = requests[0]!.tools!.map((t) => t.name);
  expect(offered).toEqual(['mcp_k8s_get_pods', 'mcp_nodes_node_status', 'report_hypotheses']);
  // Once spent, only the report is offered and forced.
  expect(requests[2]!.tools!.map((t) => t.name)).toEqual(['report_hypotheses']);

  expect(external.calls).toEqual(['get_pods']);
  expect(result.queries!.map((q) => [q.backend, q.query, q.ok])).toEqual([
    ['mcp:nodes', 'nodes/node_status {"node":"node-1"}', true],
    ['mcp:k8s', 'k8s/get_pods {"namespace":"prod"}', true],
  ]);
  expect(result.queries![0]!.summary).toContain('MemoryPressure=True');
  expect(saved.map((s) => s.record.evidenceId)).toEqual(['inc-mcpset/mcp/r1/mcp/0', 'inc-mcpset/mcp/r1/mcp/1']);
  expect(saved[0]!.body).toMatchObject({ server: 'nodes', tool: 'node_status', arguments: { node: 'node-1' } });
});

test('without a query allowance no MCP server is even contacted', async () => {
  const { router, requests } = scriptedRouter([() => report(['inc-mcpset/logs/r1/logs/0'])]);
  const result = await llmHypotheses({ router, timeoutMs: 5000, tools: { repo }, mcpServers: servers }, { ...base, queryAllowance: 0 });
  expect(result.ok).toBe(true);
  expect(requests[0]!.tools!.map((t) => t.name)).toEqual(['report_hypotheses']);
  expect(external.calls).toEqual([]);
});
