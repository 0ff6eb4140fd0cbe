import { Worker } from '@temporalio/worker';
import type { FakeAnthropic } from '../chat/support/fakeAnthropic';
import { IncidentService, type IncidentSettings } from '../../incidents/incidentService';
import type { IncidentState } from '../../incidents/types';
import { TOKENS, type IncidentStack } from './support/incidentStack';
import { startLlmIncidentStack, type LlmIncidentStack } from './support/llmIncidentStack';
import { logsFor, tracesFor } from './support/scenarioData';

/**
 * The LLM's query tools and the investigation's budgets, against the real Temporal server, the
 * real Prometheus (self-scrape), FAKE Loki/Tempo and the FAKE Anthropic server:
 * - the model runs PromQL and LogQL through its tools; each query is parsed first, counted against
 *   the step's allowance (INCIDENT_LLM_QUERIES_PER_ROUND) and the incident's query budget, and
 *   recorded with its raw result like any gather; its hypotheses may cite the new evidence;
 * - the token budget: a step never starts a call that does not fit, and once the investigation's
 *   budget is spent later rounds skip the model and keep the heuristics (and earlier LLM hypotheses);
 * - the time budget of one check stops the widening rounds.
 */
let llm: LlmIncidentStack;
let stack: IncidentStack;
let anthropic: FakeAnthropic;
const pivot = new Date(Date.now() - 2 * 60_000);
const olga = { sub: 'olga', roles: ['operator' as const] };

beforeAll(async () => {
  llm = await startLlmIncidentStack(
    'incllmtools',
    { logs: logsFor('payments', 'search', pivot), traces: tracesFor('payments', 'gateway', pivot) },
    { INCIDENT_LLM_QUERIES_PER_ROUND: '2' },
  );
  ({ stack, anthropic } = llm);
});
afterAll(async () => {
  await llm?.close();
});

type Block = { type: string; text?: string; content?: unknown; is_error?: boolean; tool_use_id?: string };
const blocks = (body: any): Block[] =>
  (body.messages as { content: string | Block[] }[]).flatMap((m) => (typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content));
const toolResults = (body: any) =>
  blocks(body)
    .filter((b) => b.type === 'tool_result')
    .map((b) => ({ text: typeof b.content === 'string' ? b.content : JSON.stringify(b.content), error: b.is_error === true }));
const toolNames = (body: any): string[] => (body.tools ?? []).map((t: { name: string }) => t.name);
const promptText = (body: any) =>
  blocks(body)
    .map((b) => b.text ?? '')
    .join('\n');

/** A service whose settings differ from the stack's (same task queue, database and client). */
function serviceWith(overrides: Partial<IncidentSettings>): IncidentService {
  return new IncidentService(stack.backends.client, stack.incidents.repo, {
    taskQueue: stack.backends.taskQueue,
    recheckIntervalMs: 3_600_000,
    environment: 'production',
    scopeLabels: ['cluster'],
    queryLimit: 300,
    llmHypotheses: true,
    llmQueriesPerRound: 2,
    ...overrides,
  });
}

const requestsFor = (title: string) => anthropic.requests.filter((r) => r.path === '/v1/messages' && promptText(r.body).includes(title));

test('the model runs PromQL and LogQL through its tools within the allowance; every query is recorded, budgeted and citable', async () => {
  const title = 'Checkout failing (tools)';
  anthropic.fallback = (body) => {
    if (!promptText(body).includes(title)) return { kind: 'tool_use', name: 'report_hypotheses', input: { hypotheses: [] } };
    const results = toolResults(body);
    if (body.tool_choice?.type === 'auto' && toolNames(body).includes('query_prometheus')) {
      // 1: a query that does not parse (refused, costs nothing); 2: PromQL; 3: LogQL; 4: one more, over the allowance.
      if (results.length === 0) return { kind: 'tool_use', name: 'query_prometheus', input: { query: 'sum(rate(' } };
      if (results.length === 1) return { kind: 'tool_use', name: 'query_prometheus', input: { query: 'sum by (job) (up)', minutesBefore: 10 } };
      if (results.length === 2) return { kind: 'tool_use', name: 'query_loki', input: { query: '{service="payments"} |= "error"' } };
      return { kind: 'tool_use', name: 'search_traces', input: { query: '{ status = error }' } };
    }
    const cited = results.flatMap((r) => [...r.text.matchAll(/evidence id=(\S+)/g)].map((m) => m[1]!));
    return {
      kind: 'tool_use',
      name: 'report_hypotheses',
      input: { hypotheses: [{ statement: 'payments fails to reach its database', service: 'payments', confidence: 0.9, evidenceRefs: cited.slice(-1) }] },
    };
  };
  const res = await stack.call('POST', '/api/v1/incidents', { token: TOKENS.operator, json: { title, severity: 'high' } });
  expect(res.status).toBe(202);
  const id = res.body.incidentId as string;
  await stack.waitForEvent(id, (e) => e.type === 'incident.analysis', 60_000);
  const state: IncidentState = await stack.incidents.getState(id);

  const mine = requestsFor(title);
  const round1 = mine.filter((r) => promptText(r.body).includes('Incident round 1'));
  // The invalid query came back as an error naming the syntax problem, before any backend call.
  const results = toolResults(round1.at(-1)!.body);
  expect(results[0]).toMatchObject({ error: true });
  expect(results[0]!.text).toMatch(/promql syntax error/);
  // Prometheus answered with statistics before/after the start, wrapped as untrusted data.
  expect(results[1]!.error).toBe(false);
  expect(results[1]!.text).toMatch(/evidence id=\S+\/llm\/r1\/metrics\/0/);
  expect(results[1]!.text).toMatch(/job="prometheus"[\s\S]*mean before start/);
  expect(results[1]!.text).toMatch(/<untrusted_data source="query-result">/);
  expect(results[2]!.text).toMatch(/\/llm\/r1\/logs\/1[\s\S]*payments/);
  // The allowance (2) was spent: the last request offered only the report tool, forced.
  const last = round1.at(-1)!.body;
  expect(toolNames(last)).toEqual(['report_hypotheses']);
  expect(last.tool_choice).toMatchObject({ type: 'tool', name: 'report_hypotheses' });

  const llmQueries = state.queries.filter((q) => q.evidenceId.includes('/llm/r1/'));
  expect(llmQueries.map((q) => [q.language, q.backend, q.ok])).toEqual([
    ['promql', 'prometheus', true],
    ['logql', 'loki', true],
  ]);
  expect(llmQueries.some((q) => q.query.includes('sum(rate('))).toBe(false);
  // Its raw result is in the record, and a person can re-run it from there.
  const evidence = await stack.call('GET', `/api/v1/incidents/${id}/evidence/${llmQueries[0]!.evidenceId}`, { token: TOKENS.viewer });
  expect(evidence.status).toBe(200);
  expect(evidence.body.record).toMatchObject({ query: 'sum by (job) (up)', language: 'promql', backend: 'prometheus', ok: true });
  expect(JSON.stringify(evidence.body.body)).toContain('"job":"prometheus"');
  // …with the range it covered: `minutesBefore: 10` reaches 10 minutes before the pivot.
  const range = evidence.body.record.range as { start: string; end: string };
  expect(range).toEqual(llmQueries[0]!.range);
  expect(new Date(range.end).getTime() - new Date(range.start).getTime()).toBeGreaterThanOrEqual(10 * 60_000);
  const template = state.queries.find((q) => q.kind === 'saturation')!; // a catalogue query this Prometheus has metrics for
  expect(template.range).toMatchObject({ start: expect.any(String), end: expect.any(String), stepSeconds: expect.any(Number) });
  const report = await stack.call('GET', `/api/v1/incidents/${id}/report`, { token: TOKENS.viewer });
  expect(report.text).toContain(`${template.range!.start} → ${template.range!.end} step ${template.range!.stepSeconds}s`);
  // Every query (gathers and tools) is an event and counts against the budget.
  const events = await stack.events(id);
  const queryEvents = events.filter((e) => e.type === 'incident.query').map((e) => (e.data as { evidenceId: string }).evidenceId);
  for (const q of llmQueries) expect(queryEvents).toContain(q.evidenceId);
  expect(state.budget.queriesUsed).toBe(queryEvents.length);
  const llmEvent = events.find((e) => e.type === 'incident.llm')!.data as { queries: string[]; tokens: number };
  expect(llmEvent.queries).toEqual(llmQueries.map((q) => q.evidenceId));
  expect(llmEvent.tokens).toBeGreaterThan(0);
  // The model cited its own query result.
  const llm = state.hypotheses.find((h) => h.source === 'llm')!;
  expect(llm).toMatchObject({ service: 'payments' });
  expect(llm.evidence).toEqual([llmQueries[1]!.evidenceId]);
  expect(state.budget.tokensUsed).toBeGreaterThan(0);
});

test('a step whose first call would not fit in the token budget makes no call and says so', async () => {
  const title = 'Checkout failing (tiny token budget)';
  anthropic.fallback = () => ({ kind: 'tool_use', name: 'report_hypotheses', input: { hypotheses: [] } });
  const { incidentId } = await serviceWith({ tokenLimit: 500 }).startIncident({ title, severity: 'high', source: 'api', requestedBy: olga });
  await stack.waitForEvent(incidentId, (e) => e.type === 'incident.analysis', 60_000);
  const state = await stack.incidents.getState(incidentId);
  expect(requestsFor(title)).toHaveLength(0);
  expect(state.budget).toMatchObject({ tokensUsed: 0, tokenLimit: 500 });
  expect(state.llm).toMatchObject({ status: 'unavailable' });
  expect(state.llm?.degraded).toMatch(/token budget spent/);
  expect(state.hypotheses.length).toBeGreaterThan(0);
});

test('the time budget of a check stops the widening rounds; without it an unsure check widens three times', async () => {
  // A scope nothing matches: no signal, so confidence stays low and every round would widen.
  const labels = { cluster: 'nowhere' };
  anthropic.fallback = () => ({ kind: 'tool_use', name: 'report_hypotheses', input: { hypotheses: [] } });
  const limited = await serviceWith({ checkTimeLimitMs: 1, llmQueriesPerRound: 0 }).startIncident({
    title: 'Quiet (time budget)',
    severity: 'warning',
    source: 'api',
    requestedBy: olga,
    labels,
  });
  const open = await serviceWith({ llmQueriesPerRound: 0 }).startIncident({ title: 'Quiet (no time budget)', severity: 'warning', source: 'api', requestedBy: olga, labels });
  const [a, b] = await Promise.all([limited, open].map((r) => stack.waitForEvent(r.incidentId, (e) => e.type === 'incident.analysis', 60_000)));
  expect(a!.data).toMatchObject({ round: 1 });
  expect(b!.data).toMatchObject({ round: 3 });
  const timeEvent = (await stack.events(limited.incidentId)).find((e) => e.type === 'incident.budget.exhausted');
  expect(timeEvent?.data).toMatchObject({ budget: 'time', limitMs: 1 });
  expect((await stack.events(open.incidentId)).some((e) => e.type === 'incident.budget.exhausted')).toBe(false);
});

test('once the investigation has spent its token budget, re-checks skip the model and keep what it said', async () => {
  const title = 'Checkout failing (token budget spent)';
  // The model reports a huge usage on its first answer: the budget is gone after one call.
  anthropic.fallback = (body) => ({
    kind: 'tool_use',
    name: 'report_hypotheses',
    usage: { inputTokens: 60_000, outputTokens: 500 },
    input: { hypotheses: [{ statement: 'payments is failing', service: 'payments', confidence: 0.6, evidenceRefs: [/id=(\S+\/logs\/\d+)/.exec(promptText(body))![1]!] }] },
  });
  const { incidentId } = await serviceWith({ tokenLimit: 50_000, recheckIntervalMs: 500, llmQueriesPerRound: 0 }).startIncident({
    title,
    severity: 'high',
    source: 'api',
    requestedBy: olga,
  });
  const exhausted = await stack.waitForEvent(incidentId, (e) => e.type === 'incident.budget.exhausted' && (e.data as { budget?: string }).budget === 'tokens', 60_000);
  expect(exhausted.data).toMatchObject({ budget: 'tokens', tokensUsed: 60_500, tokenLimit: 50_000 });
  await stack.waitForEvent(incidentId, (e) => e.type === 'incident.recheck' && (e.data as { rechecks: number }).rechecks >= 2, 60_000);
  await stack.waitForEvent(incidentId, (e) => e.type === 'incident.analysis' && (e.data as { round: number }).round >= 3, 60_000);
  const state = await stack.incidents.getState(incidentId);
  // Stop the fast re-checks: the Temporal server is shared with the other test files.
  expect((await stack.call('POST', `/api/v1/incidents/${incidentId}/resolve`, { token: TOKENS.operator, json: { resolution: 'test done' } })).status).toBe(200);
  expect(requestsFor(title)).toHaveLength(1);
  expect(state.budget.tokensUsed).toBe(60_500);
  expect(state.llm).toMatchObject({ status: 'skipped' });
  expect(state.llm?.degraded).toMatch(/token budget spent \(60500 of 50000\)/);
  // The model's hypothesis from the first round stands beside the heuristics.
  expect(state.hypotheses.some((h) => h.id === 'llm-payments' && h.source === 'llm')).toBe(true);
  const skipped = (await stack.events(incidentId)).filter((e) => e.type === 'incident.llm' && (e.data as { status: string }).status === 'skipped');
  expect(skipped.length).toBeGreaterThanOrEqual(2);
  const report = await stack.call('GET', `/api/v1/incidents/${incidentId}/report`, { token: TOKENS.viewer });
  expect(report.text).toMatch(/60500 LLM tokens/);
  expect(report.text).toMatch(/\*\*LLM:\*\* skipped: LLM skipped, heuristic hypotheses kept: token budget spent/);
  // The whole history (LLM call, skips, re-checks, resolution) replays deterministically.
  const handle = stack.backends.client.workflow.getHandle(incidentId);
  await handle.result();
  await Worker.runReplayHistory({ workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! } }, await handle.fetchHistory(), incidentId);
});
