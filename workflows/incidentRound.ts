import { patched } from '@temporalio/workflow';
import { conclude } from '../incidents/heuristics/conclusion';
import { blameLinksOf, CONFIDENCE_TARGET, formHypotheses, mergeLlmHypotheses, proposeActions, topHypothesis } from '../incidents/heuristics/hypotheses';
import type { GatherRequest, GatherResult, Hypothesis, LlmHypothesisRequest, LlmHypothesisResult, QueryRecord } from '../incidents/types';
import { acts, llmActs, type IncidentRuntime } from './incidentRuntime';

/**
 * One check of an incident: reason (plan the windows and what to gather) → act (gather from every
 * source in parallel) → synthesize (heuristic hypotheses) → evaluate (confidence vs target and the
 * query budget) → iterate with a wider window, at most MAX_ROUNDS times. Then propose actions.
 */
const MAX_ROUNDS = 3;
/** Round n looks back this far before the pivot: narrow first, wider if unsure. */
const LOOKBACK_MS = [30 * 60_000, 2 * 3600_000, 6 * 3600_000];
const HUMAN_DETECTION_LAG_MS = 5 * 60_000;

export async function investigate(rt: IncidentRuntime, reason: 'initial' | 'recheck' | 'alerts'): Promise<void> {
  const { s, input } = rt;
  // Workflow time: replay-safe, and it advances only as activities complete.
  const began = Date.now();
  for (let i = 0; i < MAX_ROUNDS; i++) {
    if (s.budget.queriesUsed >= s.budget.queryLimit) {
      await rt.emit('incident.budget.exhausted', `budget/${s.rounds}`, { budget: 'queries', queriesUsed: s.budget.queriesUsed, queryLimit: s.budget.queryLimit });
      break;
    }
    // The first round always runs; a wider one only while the check's time budget lasts.
    if (i > 0 && input.checkTimeLimitMs && Date.now() - began >= input.checkTimeLimitMs) {
      await rt.emit('incident.budget.exhausted', `budget/time/${s.rounds}`, { budget: 'time', elapsedMs: Date.now() - began, limitMs: input.checkTimeLimitMs });
      break;
    }
    s.rounds += 1;
    const req = plan(rt, i);
    await rt.emit('incident.round.started', `round/${s.rounds}`, { round: s.rounds, reason, window: { start: req.start, pivot: req.pivot, end: req.end } });
    const results: GatherResult[] = await Promise.all([
      acts.gatherIncidentMetrics(req),
      acts.gatherIncidentLogs(req),
      acts.gatherIncidentTraces(req),
      acts.gatherIncidentDeploys(req),
      ...(i === 0 ? [acts.gatherIncidentMemory(req)] : []),
    ]);
    const queries = results.flatMap((r) => r.queries);
    rt.addQueries(queries);
    rt.addSignals(results.flatMap((r) => r.signals));
    // "missing" describes the latest check: a backend that came back is no longer missing.
    s.missing = [...new Set(results.flatMap((r) => r.missing))];
    const previous = s.hypotheses;
    // Blame only what links to the alert; histories from before this rule replay unchanged.
    s.hypotheses = patched('incident-linked-blame') ? formHypotheses(s.signals, previous, blameLinksOf(s.service, s.alerts)) : formHypotheses(s.signals, previous);
    // New commands behind a patch: histories from before the LLM path replay unchanged.
    if (input.llmHypotheses && patched('incident-llm-hypotheses')) queries.push(...(await llmStep(rt, previous, req)));
    for (const q of queries) {
      await rt.emit('incident.query', `query/${q.evidenceId}`, { ...q });
    }
    const top = topHypothesis(s.hypotheses);
    await rt.emit('incident.hypotheses', `hypotheses/${s.rounds}`, {
      round: s.rounds,
      hypotheses: s.hypotheses
        .slice(0, 5)
        .map((h) => ({ id: h.id, service: h.service, statement: h.statement, confidence: h.confidence, evidence: h.evidence, source: h.source ?? 'heuristic' })),
      missing: s.missing,
    });
    await rt.save();
    if (top && top.confidence >= CONFIDENCE_TARGET) break;
  }
  const proposed = proposeActions(topHypothesis(s.hypotheses), s.signals, input.environment);
  for (const action of proposed) {
    if (s.actions.some((a) => a.id === action.id)) continue;
    s.actions.push(action);
    await rt.emit('incident.action.proposed', `action/${action.id}`, { ...action, requiresApproval: true });
  }
  if (s.status === 'investigating') rt.setStatus('monitoring');
  // Always a conclusion: the leading hypothesis, or what was searched in vain (pure: no new command).
  s.conclusion = conclude(s);
  await rt.save();
  await rt.emit('incident.analysis', `analysis/${s.rounds}`, {
    round: s.rounds,
    status: s.status,
    top: topHypothesis(s.hypotheses) ?? null,
    missing: s.missing,
    queries: s.budget.queriesUsed,
    conclusion: s.conclusion,
  });
}

/**
 * The LLM hypothesis step (a provider is configured): its hypotheses join the heuristic ones; when
 * it is unavailable (error, timeout, open circuit, invalid output) or the token budget is spent,
 * the heuristics stand and the state says so. Its read-only tool queries count against the query
 * budget and join the record; its tokens count against the token budget. It only ever adds
 * hypotheses: actions still come from proposeActions. Returns the queries its tools ran.
 */
async function llmStep(rt: IncidentRuntime, previous: Hypothesis[], window: GatherRequest): Promise<QueryRecord[]> {
  const { s, input } = rt;
  // Budgets and tools behind their own patch: histories from before them replay unchanged.
  const budgeted = patched('incident-llm-tools');
  const { tokenLimit, tokensUsed } = s.budget;
  if (budgeted && tokenLimit > 0 && tokensUsed >= tokenLimit) {
    // The model's earlier hypotheses stand: they were formed while the budget lasted.
    s.hypotheses = mergeLlmHypotheses(
      s.hypotheses,
      previous.filter((h) => h.source === 'llm'),
      previous,
    );
    s.llm = { round: s.rounds, status: 'skipped', degraded: `LLM skipped, heuristic hypotheses kept: token budget spent (${tokensUsed} of ${tokenLimit})` };
    await rt.emit('incident.budget.exhausted', 'budget/tokens', { budget: 'tokens', tokensUsed, tokenLimit });
    await rt.emit('incident.llm', `llm/${s.rounds}`, { ...s.llm, hypotheses: [] });
    return [];
  }
  const request: LlmHypothesisRequest = {
    incidentId: s.incidentId,
    round: s.rounds,
    title: s.title,
    ...(s.service ? { service: s.service } : {}),
    queries: s.queries,
    signals: s.signals,
    hypotheses: s.hypotheses,
    ...(budgeted
      ? {
          window: { start: window.start, pivot: window.pivot, end: window.end },
          scope: window.scope,
          queryAllowance: Math.max(0, Math.min(input.llmQueriesPerRound ?? 0, s.budget.queryLimit - s.budget.queriesUsed)),
          ...(tokenLimit > 0 ? { tokenAllowance: tokenLimit - tokensUsed } : {}),
        }
      : {}),
  };
  let result: LlmHypothesisResult;
  try {
    result = await llmActs.incidentLlmHypotheses(request);
  } catch (err) {
    result = { ok: false, reason: (err as Error).message };
  }
  // Absent in results recorded before the tools existed.
  const queries = result.queries ?? [];
  rt.addQueries(queries);
  s.budget.tokensUsed += result.tokens ?? 0;
  if (result.ok) {
    s.hypotheses = mergeLlmHypotheses(s.hypotheses, result.hypotheses, previous);
    s.llm = { round: s.rounds, status: 'ok', provider: result.provider };
  } else {
    s.hypotheses = mergeLlmHypotheses(s.hypotheses, [], previous);
    s.llm = { round: s.rounds, status: 'unavailable', degraded: `LLM unavailable, heuristic hypotheses kept: ${result.reason}`.slice(0, 400) };
  }
  await rt.emit('incident.llm', `llm/${s.rounds}`, {
    ...s.llm,
    hypotheses: result.ok ? result.hypotheses.map((h) => h.id) : [],
    ...(budgeted ? { queries: queries.map((q) => q.evidenceId), tokens: result.tokens ?? 0 } : {}),
  });
  return queries;
}

function plan(rt: IncidentRuntime, i: number): GatherRequest {
  const { s, input } = rt;
  const firstAlert = [...s.alerts].sort((a, b) => a.startsAt.localeCompare(b.startsAt))[0];
  // An alert knows when the problem started; a human usually opens an incident a few minutes later.
  const pivot = firstAlert ? new Date(firstAlert.startsAt) : new Date(new Date(s.startedAt).getTime() - HUMAN_DETECTION_LAG_MS);
  const now = new Date();
  const lookback = LOOKBACK_MS[Math.min(i, LOOKBACK_MS.length - 1)]!;
  const scope: Record<string, string> = {};
  for (const name of input.scopeLabels) {
    const value = s.labels[name] ?? firstAlert?.labels[name];
    if (value !== undefined) scope[name] = value;
  }
  const top = topHypothesis(s.hypotheses);
  return {
    incidentId: s.incidentId,
    round: s.rounds,
    start: new Date(pivot.getTime() - lookback).toISOString(),
    pivot: pivot.toISOString(),
    end: (now > pivot ? now : new Date(pivot.getTime() + 60_000)).toISOString(),
    ...((s.service ?? top?.service) ? { service: s.service ?? top?.service } : {}),
    ...(s.service ? { serviceKnown: true } : {}),
    scope,
    alertExprs: [...new Set(s.alerts.map((a) => a.expr).filter((e): e is string => Boolean(e)))].slice(0, 5),
    text: [s.title, ...Object.values(s.labels)].join(' ').slice(0, 500),
  };
}
