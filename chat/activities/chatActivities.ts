import type { ResponseCache } from '../cache/responseCache';
import { Context } from '@temporalio/activity';
import type { ApprovalDecision } from '../../domain/approval';
import type { EventStore, NewEvent } from '../../domain/events';
import type { Principal } from '../../domain/roles';
import type { MemoryService } from '../../memory/memoryService';
import type { LlmRouter } from '../../llm/llmRouter';
import { llmCost } from '../../observability/metrics';
import type { SubjectTokenBudget } from '../../llm/subjectTokenBudget';
import { priceOf, type ModelPrice } from '../../llm/usageMeter';
import type { Entity, FocusEntity, IntentType, TokenUsage, Understanding } from '../model/types';
import { addUsage, EMPTY_USAGE } from '../model/usage';
import type { NlpEngine } from '../nlp/nlpEngine';
import type { LastTurn } from '../nlp/references';
import type { QueryBackends } from '../query/queryRunner';
import { withPermanentFailures } from '../../activities/permanentFailures';
import { answerTurn, type SuggestedAction } from './answerTurn';
import {
  executeIncident,
  incidentAction,
  prepareIncident,
  type ChatIncidents,
  type ExecuteIncidentInput,
  type IncidentActionInput,
  type IncidentProposalAction,
} from './incidentActions';
import { ReplyStreamer } from './replyStreamer';
import { composeRunbook, type ComposeRunbookInput } from './runbookCompose';
import type { RunbookPlanner } from '../../runbooks/planner/runbookPlanner';
import { followRun, type FollowInput, type FollowResult } from './runFollower';
import { cancelRun, decide, pauseRun, prepareAction, prepareDecision, runStatus, type ChatCatalogue, type ChatRuns, type PauseRunInput, type PreparedAction } from './runActions';

/**
 * Every chat activity, closed over its clients (like activities/createActivities.ts). The session
 * workflow calls these; all I/O of a conversation happens here. Inputs and outputs are plain JSON.
 */
export interface ChatActivityDeps {
  events: EventStore;
  nlp: NlpEngine;
  backends: QueryBackends;
  catalogue: ChatCatalogue;
  runs?: ChatRuns;
  incidents?: ChatIncidents;
  router?: LlmRouter;
  memory?: Pick<MemoryService, 'recordTurn' | 'retrieveContext'>;
  prices?: Record<string, ModelPrice>;
  /** Reply deltas are coalesced this long before they are appended (default 50 ms). */
  coalesceMs?: number;
  followPollMs?: number;
  maxToolRounds?: number;
  /** Answers to the same question in the same context, for CHAT_ANSWER_CACHE_TTL_SECONDS. */
  answerCache?: ResponseCache;
  /** LLM_DAILY_TOKENS_PER_SUBJECT: past it, the subject's turns use the rule-based path. */
  tokenBudget?: SubjectTokenBudget;
  /** The runbook planner (RunbookCompose); without it the intent answers that it is not configured. */
  planner?: RunbookPlanner;
}

export interface UnderstandInput {
  sessionId: string;
  /** Whose LLM budget the call spends (absent in histories from before the budget). */
  subject?: string;
  text: string;
  focus: FocusEntity[];
  last?: LastTurn;
}

export interface AnswerInput {
  sessionId: string;
  subject?: string;
  streamId: string;
  turnId: string;
  text: string;
  understanding: Understanding;
}

export interface AnswerOutput {
  text: string;
  degraded: boolean;
  degradedReason?: string;
  /** Answered from the short-lived answer cache. */
  cached?: boolean;
  usage: TokenUsage;
  suggestions: SuggestedAction[];
}

function unavailable(what: string): Error {
  return new Error(`${what} is not configured on this worker`);
}

export function createChatActivities(deps: ChatActivityDeps) {
  const price = (usage: { inputTokens: number; outputTokens: number; model: string }[]): TokenUsage =>
    usage.reduce((sum, u) => {
      const priced = priceOf(u, deps.prices?.[u.model]);
      if (priced.costUsd > 0) llmCost.inc({ model: u.model }, priced.costUsd);
      return addUsage(sum, priced);
    }, EMPTY_USAGE);
  const runs = (): ChatRuns =>
    deps.runs ??
    (() => {
      throw unavailable('RunClient');
    })();
  /** The reason the LLM may not be used for this subject now, or undefined. */
  const budgetBlocks = async (subject: string | undefined): Promise<string | undefined> =>
    subject && deps.router && deps.tokenBudget && !(await deps.tokenBudget.allows(subject)) ? 'token_budget' : undefined;

  // Permanent data errors fail the activity at once: the turn then fails with turn.failed, the session goes on.
  return withPermanentFailures({
    /** Session events (turn.*, reply.completed, action.*, session.*); returns the last stored seq. */
    async chatEmitEvents(streamId: string, batch: NewEvent[]): Promise<number> {
      const stored = await deps.events.append(streamId, batch);
      return stored.reduce((max, e) => Math.max(max, e.seq), 0);
    },

    async chatUnderstand(input: UnderstandInput): Promise<Understanding & { usage: TokenUsage }> {
      const blocked = await budgetBlocks(input.subject);
      const { usage, ...u } = await deps.nlp.parse(input.text, { focus: input.focus, ...(input.last ? { last: input.last } : {}), ...(blocked ? { llmBlocked: blocked } : {}) });
      if (usage && input.subject) await deps.tokenBudget?.spend(input.subject, usage.inputTokens + usage.outputTokens);
      return { ...u, usage: usage ? price([usage]) : EMPTY_USAGE };
    },

    /** Runs the queries and streams the answer into the session's event log as it is written. */
    async chatAnswer(input: AnswerInput): Promise<AnswerOutput> {
      const ctx = Context.current();
      const streamer = new ReplyStreamer(deps.events, input.streamId, input.turnId, ctx.info.attempt, deps.coalesceMs ?? 50, () => ctx.heartbeat());
      await streamer.begin();
      let queryIndex = 0;
      const result = await answerTurn(
        input.sessionId,
        input.text,
        input.understanding,
        {
          backends: deps.backends,
          ...(deps.router && !(await budgetBlocks(input.subject)) ? { router: deps.router } : {}),
          ...(deps.memory ? { memory: deps.memory } : {}),
          maxToolRounds: deps.maxToolRounds ?? 2,
          ...(deps.answerCache ? { answerCache: deps.answerCache } : {}),
          onQuery: async (o) => {
            const n = queryIndex++;
            await deps.events.append(input.streamId, [
              {
                type: 'query.executed',
                data: {
                  turnId: input.turnId,
                  language: o.language,
                  query: o.query,
                  description: o.description,
                  ok: o.ok,
                  count: o.count,
                  lines: o.lines.slice(0, 10),
                  ...(o.error ? { error: o.error } : {}),
                },
                dedupeKey: `${input.streamId}/${input.turnId}/a${ctx.info.attempt}/query/${n}`,
              },
            ]);
          },
        },
        streamer,
        Date.now(),
      );
      await streamer.close();
      if (input.subject)
        await deps.tokenBudget?.spend(
          input.subject,
          result.usage.reduce((n, u) => n + u.inputTokens + u.outputTokens, 0),
        );
      return {
        text: result.text,
        degraded: result.degraded,
        ...(result.degradedReason ? { degradedReason: result.degradedReason } : {}),
        ...(result.cached ? { cached: true } : {}),
        usage: price(result.usage),
        suggestions: result.suggestions,
      };
    },

    async chatPrepareAction(input: { intent: IntentType; entities: Entity[]; suggestion?: { runbook: string; params: Record<string, unknown> } }): Promise<PreparedAction> {
      return prepareAction(deps.catalogue, input.intent, input.entities, input.suggestion);
    },

    /** Starts the confirmed proposal as the chatting user; the idempotency key makes a retry land on the same run. */
    async chatStartRun(input: {
      runbook: string;
      params: Record<string, unknown>;
      principal: Principal;
      idempotencyKey: string;
    }): Promise<{ ok: boolean; runId?: string; text: string }> {
      const runbook = deps.catalogue.get(input.runbook);
      if (!runbook) return { ok: false, text: `"${input.runbook}" is no longer in the catalogue.` };
      const started = await runs().startRun({ runbook, params: input.params, requestedBy: input.principal, idempotencyKey: input.idempotencyKey });
      return { ok: true, runId: started.runId, text: `Started ${input.runbook} as ${started.runId}. I will post its progress here.` };
    },

    /** "make me a runbook that …": a draft through the planner (never a run). */
    async chatComposeRunbook(input: ComposeRunbookInput) {
      return composeRunbook(deps.planner, input);
    },

    async chatRunStatus(input: { runId: string }) {
      return runStatus(runs(), input.runId);
    },

    async chatCancelRun(input: { runId: string }) {
      return cancelRun(runs(), input.runId);
    },

    /** A confirmed pause / resume, as the confirming user (`via: chat`). */
    async chatPauseRun(input: PauseRunInput) {
      return pauseRun(runs(), input);
    },

    async chatDecide(input: { runId?: string; gateId?: string; decision: ApprovalDecision; principal: Principal; comment?: string }) {
      return decide(runs(), input);
    },

    /** The gate an approve / reject would decide, for the proposal card. */
    async chatPrepareDecision(input: { runId?: string; decision: ApprovalDecision; principal: Principal }) {
      return prepareDecision(runs(), input);
    },

    /** Acts at once: only sessions from before incident proposals still call it (replay). */
    async chatIncident(input: IncidentActionInput) {
      return incidentAction(deps.incidents, input);
    },

    /** What an incident request would do, for the proposal card; nothing changes. */
    async chatPrepareIncident(input: { action: IncidentProposalAction; text: string; entities: Entity[] }) {
      return prepareIncident(deps.incidents, input);
    },

    /** A confirmed incident proposal, as the confirming user. */
    async chatExecuteIncident(input: ExecuteIncidentInput) {
      return executeIncident(deps.incidents, deps.runs, deps.catalogue, input);
    },

    async chatFollowRun(input: FollowInput): Promise<FollowResult> {
      return followRun(deps.events, input, deps.followPollMs ?? 300);
    },

    /** The transcript for context retrieval (memory redacts again; a no-op without memory). */
    async chatRecordTurn(input: { sessionId: string; role: 'user' | 'assistant'; content: string; subject: string }): Promise<void> {
      await deps.memory?.recordTurn(input.sessionId, { role: input.role, content: input.content }, input.subject);
    },
  });
}

export type ChatActivities = ReturnType<typeof createChatActivities>;
