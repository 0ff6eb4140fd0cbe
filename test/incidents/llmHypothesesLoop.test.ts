import { PrometheusClient } from '../../adapters/prometheusClient';
import type { LlmRequest, LlmResponse } from '../../llm/types';
import type { IncidentRepository } from '../../incidents/incidentRepository';
import { llmHypotheses } from '../../incidents/llmHypotheses';
import type { LlmHypothesisRequest, QueryRecord } from '../../incidents/types';

/**
 * The hypothesis step's loop on its own: a scripted router (the provider seam; the provider
 * itself is tested against the fake Anthropic server) and the REAL Prometheus behind the query
 * tools, with an in-memory evidence store. Checks the token budget inside a step, the correction
 * of an invalid report and the forced report after a plain-text answer.
 */
type Answer = Pick<LlmResponse, 'content'> & { tokens?: number };

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
        const { content, tokens = 100 } = next(request);
        const toolUse = content.some((c) => c.type === 'tool_use');
        return { content, stopReason: toolUse ? 'tool_use' : 'end_turn', usage: { inputTokens: tokens - 10, outputTokens: 10 }, provider: 'scripted', model: 'm' };
      },
    },
  };
}

const saved: { record: QueryRecord; body: unknown }[] = [];
const repo = { saveEvidence: async (_id: string, record: QueryRecord, body: unknown) => void saved.push({ record, body }) } as unknown as IncidentRepository;
const prometheus = new PrometheusClient({ url: process.env.TEST_PROMETHEUS_URL!, timeoutMs: 5000 });
const now = Date.now();
const base: LlmHypothesisRequest = {
  incidentId: 'inc-loop',
  round: 1,
  title: 'Checkout failing',
  queries: [
    {
      evidenceId: 'inc-loop/logs/r1/logs/0',
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
  queryAllowance: 3,
};
const report = (refs: string[]): Answer => ({
  content: [
    {
      type: 'tool_use',
      id: `t${Math.random()}`,
      name: 'report_hypotheses',
      input: { hypotheses: [{ statement: 'payments is down', service: 'payments', confidence: 0.7, evidenceRefs: refs }] },
    },
  ],
});
const query = (q: string, tokens?: number): Answer => ({
  content: [{ type: 'tool_use', id: `t${Math.random()}`, name: 'query_prometheus', input: { query: q } }],
  ...(tokens ? { tokens } : {}),
});

beforeEach(() => {
  saved.length = 0;
});

test('a step stops before a call that would not fit in what is left of its token allowance, and counts what it spent', async () => {
  // The first (query) turn uses 9 000 of 10 000 tokens: the next call cannot fit and is never made.
  const { router, requests } = scriptedRouter([() => query('up', 9000), () => report(['inc-loop/logs/r1/logs/0'])]);
  const result = await llmHypotheses({ router, timeoutMs: 5000, tools: { repo, prometheus } }, { ...base, tokenAllowance: 10_000 });
  expect(requests).toHaveLength(1);
  expect(requests[0]!.maxTokens).toBeLessThanOrEqual(10_000);
  expect(result).toMatchObject({ ok: false, tokens: 9000 });
  expect(!result.ok && result.reason).toMatch(/token budget spent \(9000 used in this step, 10000 allowed\)/);
  // The query it ran is still returned, so the workflow records and budgets it.
  expect(result.queries).toHaveLength(1);
  expect(result.queries![0]).toMatchObject({ language: 'promql', query: 'up', ok: true, backend: 'prometheus' });
  expect(saved.map((s) => s.record.evidenceId)).toEqual([result.queries![0]!.evidenceId]);
});

test('max_tokens never exceeds what is left of the allowance', async () => {
  const { router, requests } = scriptedRouter([() => query('up', 3000), () => report(['inc-loop/logs/r1/logs/0'])]);
  const result = await llmHypotheses({ router, timeoutMs: 5000, tools: { repo, prometheus } }, { ...base, tokenAllowance: 6000 });
  expect(result).toMatchObject({ ok: true, tokens: 3100 });
  const estimate = (r: LlmRequest) => Math.ceil(JSON.stringify({ system: r.system, messages: r.messages, tools: r.tools }).length / 3);
  for (const [i, r] of requests.entries()) {
    const spentBefore = i === 0 ? 0 : 3000;
    expect(r.maxTokens + estimate(r)).toBeLessThanOrEqual(6000 - spentBefore);
  }
});

test('an invalid report is answered with the error once, and a corrected report is accepted', async () => {
  const { router, requests } = scriptedRouter([() => report(['inc-made-up']), () => report(['inc-loop/logs/r1/logs/0'])]);
  const result = await llmHypotheses({ router, timeoutMs: 5000, tools: { repo, prometheus } }, base);
  expect(result).toMatchObject({ ok: true, hypotheses: [{ id: 'llm-payments', evidence: ['inc-loop/logs/r1/logs/0'] }] });
  const correction = requests[1]!.messages.at(-1)!.content[0]!;
  expect(correction).toMatchObject({ type: 'tool_result', isError: true });
  expect(JSON.stringify(correction)).toMatch(/unknown evidence ids inc-made-up/);
  // A second invalid report ends the step: the heuristics stand.
  const again = scriptedRouter([() => report(['x']), () => report(['y'])]);
  expect(await llmHypotheses({ router: again.router, timeoutMs: 5000 }, base)).toMatchObject({ ok: false });
});

test('a plain-text answer is followed by a forced report; without tools or window no query tool is offered', async () => {
  const { router, requests } = scriptedRouter([() => ({ content: [{ type: 'text', text: 'Let me think.' }] }), () => report(['inc-loop/logs/r1/logs/0'])]);
  const result = await llmHypotheses({ router, timeoutMs: 5000, tools: { repo, prometheus } }, base);
  expect(result.ok).toBe(true);
  expect(requests[0]!.toolChoice).toEqual({ type: 'auto' });
  expect(requests[1]!.toolChoice).toEqual({ type: 'tool', name: 'report_hypotheses' });
  expect(requests[1]!.tools!.map((t) => t.name)).toEqual(['report_hypotheses']);

  const bare = scriptedRouter([() => report(['inc-loop/logs/r1/logs/0'])]);
  const { window: _w, ...noWindow } = base;
  await llmHypotheses({ router: bare.router, timeoutMs: 5000, tools: { repo, prometheus } }, noWindow);
  expect(bare.requests[0]!.tools!.map((t) => t.name)).toEqual(['report_hypotheses']);
  expect(bare.requests[0]!.toolChoice).toEqual({ type: 'tool', name: 'report_hypotheses' });
});

test('a query tool refuses input outside its schema and queries beyond the allowance without calling the backend', async () => {
  const { router, requests } = scriptedRouter([
    () => ({ content: [{ type: 'tool_use', id: 'a', name: 'query_prometheus', input: { query: 'up', minutesBefore: 100_000 } }] }),
    () => query('up'),
    () => query('sum(up)'),
    () => report(['inc-loop/logs/r1/logs/0']),
  ]);
  const result = await llmHypotheses({ router, timeoutMs: 5000, tools: { repo, prometheus } }, { ...base, queryAllowance: 1 });
  expect(result.ok).toBe(true);
  const firstResult = JSON.stringify(requests[1]!.messages.at(-1)!.content);
  expect(firstResult).toMatch(/invalid input: minutesBefore/);
  // One query allowed: after it, only the report tool is offered.
  expect(result.queries).toHaveLength(1);
  expect(requests[2]!.tools!.map((t) => t.name)).toEqual(['report_hypotheses']);
  // A model that still calls a query tool gets an error, not a query.
  expect(requests).toHaveLength(4);
  expect(JSON.stringify(requests[3]!.messages.at(-1)!.content)).toMatch(/not available now/);
  expect(saved).toHaveLength(1);
});
