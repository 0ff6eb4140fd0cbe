import { investigationRounds } from '../observability/metrics';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { LokiClient } from '../adapters/lokiClient';
import type { PrometheusClient } from '../adapters/prometheusClient';
import type { TempoClient } from '../adapters/tempoClient';
import type { EventStore, NewEvent } from '../domain/events';
import { gatherDeploys, gatherMemory } from './gather/gatherContext';
import { gatherLogs } from './gather/gatherLogs';
import { gatherMetrics } from './gather/gatherMetrics';
import { gatherTraces } from './gather/gatherTraces';
import { topHypothesis } from './heuristics/hypotheses';
import { IncidentManagerError, type IncidentChange, type IncidentNotifier } from './incidentManager/incidentNotifier';
import type { IncidentMemory } from './incidentMemory';
import type { IncidentRepository } from './incidentRepository';
import { renderReport } from './report';
import { withPermanentFailures } from '../activities/permanentFailures';
import { llmHypotheses, type LlmHypothesesDeps } from './llmHypotheses';
import type { GatherRequest, GatherResult, IncidentState, LlmHypothesisRequest, LlmHypothesisResult } from './types';
import { INCIDENT_FAILURE } from '../domain/failureTypes';

/**
 * The incident investigation's activities, closed over injected clients (like
 * activities/createActivities.ts). A backend that is not configured is simply absent: its gather
 * activity reports it as missing instead of failing the investigation.
 */
export interface IncidentActivityDeps {
  events: EventStore;
  repo: IncidentRepository;
  memory: IncidentMemory;
  prometheus?: PrometheusClient;
  loki?: LokiClient;
  tempo?: TempoClient;
  notifier?: IncidentNotifier;
  /** PromQL range window in the metric templates (default 2m). */
  rateWindow?: string;
  /** The LLM hypothesis step (a router with a provider); absent: it answers "unavailable". */
  llm?: LlmHypothesesDeps;
}

/**
 * Gathers heartbeat every second so a worker that dies mid-query is noticed within the heartbeat
 * timeout (seconds) instead of the start-to-close timeout (minutes). Outside an activity context
 * (scenario tests call these directly) it just runs the function.
 */
async function withHeartbeat<T>(fn: () => Promise<T>): Promise<T> {
  let ctx: Context | undefined;
  try {
    ctx = Context.current();
  } catch {
    return fn();
  }
  const timer = setInterval(() => ctx.heartbeat(), 1000);
  try {
    return await fn();
  } finally {
    clearInterval(timer);
  }
}

export function createIncidentActivities(deps: IncidentActivityDeps) {
  const { repo } = deps;
  // Permanent data errors fail at once: the workflow rejects the note instead of retrying forever.
  return withPermanentFailures({
    async emitIncidentEvents(incidentId: string, batch: NewEvent[]): Promise<void> {
      await deps.events.append(incidentId, batch);
      // A round reports its hypotheses once; a retried append may count it twice (rare).
      const rounds = batch.filter((e) => e.type === 'incident.hypotheses').length;
      if (rounds > 0) investigationRounds.inc(rounds);
    },

    async saveIncident(state: IncidentState): Promise<void> {
      await repo.saveState(state);
    },

    async gatherIncidentMetrics(req: GatherRequest): Promise<GatherResult> {
      return withHeartbeat(() => gatherMetrics(deps.prometheus, repo, req, { rateWindow: deps.rateWindow ?? '2m' }));
    },
    async gatherIncidentLogs(req: GatherRequest): Promise<GatherResult> {
      return withHeartbeat(() => gatherLogs(deps.loki, repo, req));
    },
    async gatherIncidentTraces(req: GatherRequest): Promise<GatherResult> {
      return withHeartbeat(() => gatherTraces(deps.tempo, repo, req));
    },
    async gatherIncidentDeploys(req: GatherRequest): Promise<GatherResult> {
      return withHeartbeat(() => gatherDeploys(repo, req));
    },
    async gatherIncidentMemory(req: GatherRequest): Promise<GatherResult> {
      return withHeartbeat(() => gatherMemory(deps.memory, repo, req));
    },

    /** Hypotheses from the LLM over the evidence summaries and its own read-only queries; never throws (unavailable → heuristics stand). */
    async incidentLlmHypotheses(req: LlmHypothesisRequest): Promise<LlmHypothesisResult> {
      if (!deps.llm) return { ok: false, reason: 'no LLM provider is configured on this worker' };
      // The query tools go through the same clients as the gathers (breaker, retries, deadline).
      const llm: LlmHypothesesDeps = {
        tools: {
          repo,
          ...(deps.prometheus ? { prometheus: deps.prometheus } : {}),
          ...(deps.loki ? { loki: deps.loki } : {}),
          ...(deps.tempo ? { tempo: deps.tempo } : {}),
        },
        ...deps.llm,
      };
      return withHeartbeat(() => llmHypotheses(llm, req));
    },

    /** Report, long-term memory and dedupe rows on resolution; idempotent (upserts). */
    async finalizeIncident(state: IncidentState): Promise<{ reportChars: number }> {
      return withHeartbeat(() => finalize(state));
    },

    async notifyIncidentManager(change: IncidentChange, state: IncidentState): Promise<void> {
      if (!deps.notifier) return;
      try {
        await withHeartbeat(() => deps.notifier!.notify(change, state));
      } catch (err) {
        // A refusal (4xx) will not change on retry: fail the activity at once, the workflow records it.
        if (err instanceof IncidentManagerError && err.permanent) throw ApplicationFailure.nonRetryable(err.message, INCIDENT_FAILURE.managerRefused);
        throw err;
      }
    },
  });

  async function finalize(state: IncidentState): Promise<{ reportChars: number }> {
    const report = renderReport(state);
    await repo.saveState(state, report);
    await repo.closeAlerts(state.incidentId);
    const top = topHypothesis(state.hypotheses);
    const fix = state.actions
      .filter((a) => a.runId)
      .map((a) => `${a.runbook} ${JSON.stringify(a.params)} (${a.runId})`)
      .join('; ');
    await deps.memory.recordResolution({
      incidentId: state.incidentId,
      ...((state.service ?? top?.service) ? { service: state.service ?? top?.service } : {}),
      title: state.title,
      rootCause: top ? `${top.service}: ${top.statement}` : 'unknown',
      fix: fix || state.resolution || 'none recorded',
      // "worked" = the alert resolved after a remediation ran (an alert resolution, not a manual close).
      ...(fix ? { fixWorked: state.resolvedBy === 'alertmanager' } : {}),
      body: [state.title, state.resolution ?? '', ...state.hypotheses.map((h) => h.statement), ...state.notes.map((n) => n.text)].join('\n'),
    });
    return { reportChars: report.length };
  }
}

export type IncidentActivities = ReturnType<typeof createIncidentActivities>;
