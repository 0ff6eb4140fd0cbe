import { PrometheusClient } from '../../adapters/prometheusClient';
import type { AppConfig } from '../../config/env';
import { llmHypotheses, HYPOTHESES_TOOL } from '../../incidents/llmHypotheses';
import { providerRouters } from '../providerRouters';
import type { LlmConfig } from '../../llm/routerFromConfig';
import { gatherScenario, memoryRepo, TELEMETRY_SCENARIOS, type TelemetryScenario } from './telemetryScenarios';

/**
 * The LLM path of the investigation scenarios, per configured provider: after the same gather and
 * heuristics the workflow runs, the incident's LLM hypothesis step (incidents/llmHypotheses.ts, with
 * its read-only query tools on the real Prometheus) answers alone, behind a router holding only that
 * provider. Its top hypothesis is scored like the heuristics' (right component, right cause), with
 * the queries and tokens it spent. The model sees what the workflow would show it: an alert-like
 * title (never the scenario's description, which names the answer), the evidence summaries, the
 * signals and the heuristic hypotheses.
 */
export interface LlmScenarioRow {
  provider: string;
  id: string;
  expected: string;
  got: string;
  confidence: number;
  componentRight: boolean;
  causeRight: boolean;
  /** Queries the model ran through its tools (beyond the gather's). */
  llmQueries: number;
  tokens: number;
  ms: number;
  /** Why the step gave no answer (provider error, invalid output, budget). */
  failure?: string;
}

/**
 * A model words its cause its own way: the heuristics' exact phrases would score wording, not
 * understanding. These accept the cause in any usual phrasing.
 */
const LLM_CAUSE: Record<string, RegExp> = {
  'otel-5xx': /5\d\d|5xx|server errors?|error rate/i,
  'redis-down': /redis\b.*\b(down|unreachable|stopped|not (up|running|reachable)|unavailable)|(down|unreachable|stopped|unavailable)\b.*\bredis/i,
  'disk-full': /disk|filesystem|file system|storage|space/i,
  'cpu-hog': /cpu|processor|load/i,
  'micrometer-5xx': /5\d\d|5xx|server errors?|error rate/i,
  'pg-connections': /connection/i,
};

/** Confidence at which an LLM hypothesis counts as naming a culprit (an "insufficient evidence" scenario must have none). */
const CLAIM_CONFIDENCE = 0.5;
const QUERY_ALLOWANCE = 4;
const TOKEN_ALLOWANCE = 30_000;

function titleOf(s: TelemetryScenario): string {
  return s.alertExprs.length ? `Alert firing${s.service ? ` for ${s.service}` : ''}: ${s.alertExprs[0]}` : `Alert firing${s.service ? ` for ${s.service}` : ''}`;
}

/** The model's service names are DNS labels: an instance culprit ("node1:9100") is named by its host. */
function namesCulprit(service: string, culprit: string): boolean {
  return service === culprit || culprit.split(':')[0] === service;
}

export async function runLlmTelemetryScenarios(
  config: LlmConfig & Pick<AppConfig, 'LLM_TIMEOUT_MS' | 'LLM_BREAKER_THRESHOLD' | 'LLM_BREAKER_HALF_OPEN_MS'>,
  prometheusUrl: string,
  pivot: number,
  now: number,
  scenarios: readonly TelemetryScenario[] = TELEMETRY_SCENARIOS,
): Promise<LlmScenarioRow[]> {
  const rows: LlmScenarioRow[] = [];
  for (const { provider, router } of providerRouters(config)) {
    for (const s of scenarios) {
      const repo = memoryRepo();
      const { req, gathered, hypotheses } = await gatherScenario(s, prometheusUrl, pivot, now, repo);
      const began = performance.now();
      const result = await llmHypotheses(
        { router, timeoutMs: config.LLM_TIMEOUT_MS, tools: { repo, prometheus: new PrometheusClient({ url: prometheusUrl }) } },
        {
          incidentId: req.incidentId,
          round: 1,
          title: titleOf(s),
          ...(s.service ? { service: s.service } : {}),
          queries: gathered.queries,
          signals: gathered.signals,
          hypotheses,
          window: { start: req.start, pivot: req.pivot, end: req.end },
          scope: req.scope ?? {},
          queryAllowance: QUERY_ALLOWANCE,
          tokenAllowance: TOKEN_ALLOWANCE,
        },
      );
      const ms = performance.now() - began;
      const ranked = result.ok ? [...result.hypotheses].sort((a, b) => b.confidence - a.confidence) : [];
      const top = ranked[0];
      const claimed = ranked.filter((h) => h.confidence >= CLAIM_CONFIDENCE);
      const componentRight = s.insufficient ? result.ok && claimed.length === 0 : Boolean(top && namesCulprit(top.service, s.culprit!));
      const causeRight = s.insufficient ? componentRight : Boolean(top && LLM_CAUSE[s.id]?.test(top.statement));
      rows.push({
        provider: result.ok ? result.provider : provider.name,
        id: s.id,
        expected: s.insufficient ? 'no culprit claimed' : s.culprit!,
        got: top ? top.service : result.ok ? 'no hypothesis' : 'no answer',
        confidence: top?.confidence ?? 0,
        componentRight,
        causeRight,
        llmQueries: result.queries?.length ?? 0,
        tokens: result.tokens ?? 0,
        ms,
        ...(result.ok ? {} : { failure: result.reason }),
      });
    }
  }
  return rows;
}

/**
 * The FAKE model for `npm run evals -- --fake-llm` and the wiring test: on its first turn it runs
 * one query through the query tool, then reports the first heuristic hypothesis of the prompt as
 * its own. It proves the harness drives a provider through the whole loop (tools, evidence ids,
 * validation, scoring); its figures say nothing about any real model.
 */
export function fakeInvestigator(body: { messages: { role: string; content: string | { type: string; text?: string }[] }[]; tools?: { name: string }[] }): {
  kind: 'tool_use';
  name: string;
  input: Record<string, unknown>;
} {
  const first = body.messages[0];
  const prompt = typeof first?.content === 'string' ? first.content : (first?.content ?? []).map((c) => c.text ?? '').join('\n');
  const queried = body.messages.length > 1;
  if (!queried && body.tools?.some((t) => t.name === 'query_prometheus')) return { kind: 'tool_use', name: 'query_prometheus', input: { query: 'up' } };
  const heuristic = /<untrusted_data[^>]*heuristic-hypotheses[^>]*>\s*- ([a-z0-9-]+)(?::\d+)? \(([\d.]+)\) evidence=([^:\s]+): (.+)/.exec(prompt);
  if (!heuristic) return { kind: 'tool_use', name: HYPOTHESES_TOOL, input: { hypotheses: [] } };
  const [, service, confidence, evidence, statement] = heuristic;
  return {
    kind: 'tool_use',
    name: HYPOTHESES_TOOL,
    input: { hypotheses: [{ service, statement: statement!.slice(0, 900), confidence: Number(confidence), evidenceRefs: evidence!.split(',').slice(0, 20) }] },
  };
}
