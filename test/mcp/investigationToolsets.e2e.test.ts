import type { FakeAnthropic, Script } from '../chat/support/fakeAnthropic';
import { TOKENS, type IncidentStack } from '../incidents/support/incidentStack';
import { startLlmIncidentStack, type LlmIncidentStack } from '../incidents/support/llmIncidentStack';
import { logsFor, tracesFor } from '../incidents/support/scenarioData';
import { POD_REPORT, startExternalMcpServer, type ExternalMcpServer } from './support/externalMcpServer';
import { connectHttp, structuredOf, textOf } from './support/mcpClient';

/**
 * MCP toolsets in an investigation: an external MCP server built with the SDK (one allowed tool,
 * one not), MCP_SERVERS pointing at it, the real incident stack (Temporal, worker, Postgres, real
 * Prometheus) and the FAKE Anthropic server scripting the model. The model calls the allowed tool
 * — recorded as evidence with its own id, shown in the incident and the postmortem, and returned
 * to the model wrapped as untrusted data — then asks for the disallowed one, which never reaches
 * the server, then reports a hypothesis citing the MCP evidence.
 */
let external: ExternalMcpServer;
let incidentId: string;
let llm: LlmIncidentStack;
let stack: IncidentStack;
let anthropic: FakeAnthropic;
const pivot = new Date(Date.now() - 2 * 60_000);

beforeAll(async () => {
  external = await startExternalMcpServer();
  llm = await startLlmIncidentStack(
    'incmcp',
    { logs: logsFor('payments', 'search', pivot), traces: tracesFor('payments', 'gateway', pivot) },
    { MCP_SERVERS: JSON.stringify([{ name: 'k8s', url: external.url, allowedTools: ['get_pods'] }]) },
  );
  ({ stack, anthropic } = llm);
});

afterAll(async () => {
  await llm?.close();
  await external?.close();
});

/** Every tool_result the copilot sent back in this request, as text. */
function toolResults(body: any): { text: string; isError: boolean }[] {
  return (body.messages as { content: unknown }[])
    .flatMap((m) => (Array.isArray(m.content) ? m.content : []))
    .filter((c: any) => c.type === 'tool_result')
    .map((c: any) => ({ text: typeof c.content === 'string' ? c.content : JSON.stringify(c.content), isError: c.is_error === true }));
}

/** The scripted model: get_pods, then the disallowed delete_pod, then a report citing the MCP evidence. */
function model(body: any): Script {
  const offered = (body.tools as { name: string }[]).map((t) => t.name);
  const results = toolResults(body);
  const podEvidence = results.map((r) => /evidence id=(\S+\/mcp\/\S+) \(get_pods/.exec(r.text)?.[1]).find(Boolean);
  if (!podEvidence && offered.includes('mcp_k8s_get_pods')) return { kind: 'tool_use', name: 'mcp_k8s_get_pods', input: { namespace: 'prod' } };
  if (podEvidence && results.length === 1 && offered.includes('mcp_k8s_get_pods')) return { kind: 'tool_use', name: 'mcp_k8s_delete_pod', input: { name: 'payments-7f9c' } };
  return {
    kind: 'tool_use',
    name: 'report_hypotheses',
    input: { hypotheses: [{ statement: 'payments pods are OOMKilled and crash-looping', service: 'payments', confidence: 0.8, evidenceRefs: podEvidence ? [podEvidence] : [] }] },
  };
}

test('the allowed MCP tool is called and recorded as evidence; the disallowed one never reaches the server', async () => {
  anthropic.fallback = model;
  const before = anthropic.requests.length;
  const res = await stack.call('POST', '/api/v1/incidents', { token: TOKENS.operator, json: { title: 'Checkout failing (mcp)', severity: 'high', service: 'payments' } });
  expect(res.status).toBe(202);
  const id = res.body.incidentId as string;
  incidentId = id;
  await stack.waitForEvent(id, (e) => e.type === 'incident.analysis', 60_000);
  const state = await stack.incidents.getState(id);
  const requests = anthropic.requests.slice(before).filter((r) => r.path === '/v1/messages');

  // Offered: the allowlisted tool only, its third-party description wrapped as untrusted.
  const tools = requests[0]!.body.tools as { name: string; description: string }[];
  expect(tools.map((t) => t.name)).toContain('mcp_k8s_get_pods');
  expect(tools.map((t) => t.name)).not.toContain('mcp_k8s_delete_pod');
  expect(tools.find((t) => t.name === 'mcp_k8s_get_pods')!.description).toMatch(/«untrusted: List pods .*IGNORE ALL PREVIOUS INSTRUCTIONS/);

  // The model asked for delete_pod anyway: answered with an error, and the server never saw it.
  expect(external.calls).toContain('get_pods');
  expect(external.calls).not.toContain('delete_pod');
  const refusals = requests.flatMap((r) => toolResults(r.body)).filter((r) => r.isError && /mcp_k8s_delete_pod is not available/.test(r.text));
  expect(refusals.length).toBeGreaterThan(0);

  // The result reached the model wrapped as untrusted data, with its evidence id.
  const podResult = requests.flatMap((r) => toolResults(r.body)).find((r) => r.text.includes('OOMKilled'))!;
  expect(podResult.text).toMatch(/<untrusted_data source="mcp:k8s\/get_pods">/);

  // Recorded like a PromQL query: its own id, language mcp, backend mcp:k8s, the call as the query.
  const mcpQueries = state.queries.filter((q) => q.language === 'mcp');
  expect(mcpQueries.length).toBeGreaterThan(0);
  expect(mcpQueries.every((q) => q.backend === 'mcp:k8s' && q.query.startsWith('k8s/get_pods '))).toBe(true);
  const record = mcpQueries[0]!;
  expect(record).toMatchObject({ kind: 'mcp', ok: true });
  expect(record.evidenceId).toMatch(new RegExp(`^${id}/mcp/r\\d+/mcp/\\d+$`));
  expect(record.summary).toContain('OOMKilled');
  // Within the same query budget as every other query.
  expect(state.budget.queriesUsed).toBeGreaterThanOrEqual(state.queries.length);

  // The hypothesis cites it; the evidence and the postmortem show it.
  const hypothesis = state.hypotheses.find((h) => h.source === 'llm');
  expect(hypothesis).toMatchObject({ service: 'payments' });
  expect(hypothesis!.evidence.some((e) => mcpQueries.some((q) => q.evidenceId === e))).toBe(true);
  const evidence = await stack.call('GET', `/api/v1/incidents/${id}/evidence/${record.evidenceId}`, { token: TOKENS.viewer });
  expect(evidence.status).toBe(200);
  expect(JSON.stringify(evidence.body)).toContain(POD_REPORT);
  const report = await stack.call('GET', `/api/v1/incidents/${id}/report`, { token: TOKENS.viewer });
  expect(report.text).toContain('| mcp |');
  expect(report.text).toContain(record.evidenceId);
});

test("the same incident through the copilot's own MCP server: list, get (with the MCP evidence), note, postmortem resource", async () => {
  const viewer = await connectHttp(stack.url, TOKENS.viewer);
  const operator = await connectHttp(stack.url, TOKENS.operator);
  try {
    const list = structuredOf<{ items: { incidentId: string }[] }>(await viewer.callTool({ name: 'list_incidents', arguments: { limit: 10 } }));
    expect(list.items.map((i) => i.incidentId)).toContain(incidentId);
    const got = structuredOf<{ incident: { queries: { language: string }[] } }>(await viewer.callTool({ name: 'get_incident', arguments: { incidentId } }));
    expect(got.incident.queries.some((q) => q.language === 'mcp')).toBe(true);

    const refused = await viewer.callTool({ name: 'add_incident_note', arguments: { incidentId, text: 'seen from an AI client' } });
    expect(textOf(refused)).toMatch(/requires the "operator" role/);
    const note = structuredOf<{ note: { author: string; text: string } }>(
      await operator.callTool({ name: 'add_incident_note', arguments: { incidentId, text: 'seen from an AI client' } }),
    );
    expect(note.note).toMatchObject({ author: expect.any(String), text: 'seen from an AI client' });

    const report = await viewer.readResource({ uri: `copilot://incidents/${incidentId}/report` });
    expect(report.contents[0]).toMatchObject({ mimeType: 'text/markdown' });
    expect((report.contents[0] as { text: string }).text).toContain('| mcp |');
    const missing = await viewer.callTool({ name: 'get_incident', arguments: { incidentId: 'inc-nope' } });
    expect(textOf(missing)).toMatch(/^incident-not-found/);
  } finally {
    await viewer.close();
    await operator.close();
  }
});
