import { sharedRedactor } from '../../memory/redaction/redactor';
import { cacheKey, type ResponseCache } from '../cache/responseCache';
import type { MemoryService } from '../../memory/memoryService';
import { templateAnswer } from '../answers/templateAnswer';
import { DEGRADED_NOTE } from '../answers/templates';
import { LlmError } from '../../llm/llmErrors';
import type { LlmRouter } from '../../llm/llmRouter';
import { untrustedBlock } from '../../llm/untrustedData';
import { toolInputError } from '../../llm/toolSchema';
import { ANSWER_SYSTEM, PROPOSE_ACTION_TOOL, ProposeActionInput, RUN_QUERY_TOOL, RunQueryInput, userTextForModel } from '../prompts';
import { toolUses, type LlmMessage, type LlmUsage } from '../../llm/types';
import type { GeneratedQuery, Understanding } from '../model/types';
import { checkQuery } from '../query/grammar';
import { runQuery, type QueryBackends, type QueryOutcome } from '../query/queryRunner';
import type { ReplyStreamer } from './replyStreamer';

/**
 * One read-only answer: run the grammar-checked queries, then either let the model write the
 * answer from the (wrapped, untrusted) results — with `run_query` for more data and
 * `propose_action` as its only way to suggest a change — or render the template. Any LLM failure
 * resets what was streamed and answers from the template with `degraded: true`.
 */
export interface SuggestedAction {
  runbook: string;
  params: Record<string, unknown>;
  reason: string;
}

export interface AnswerResult {
  text: string;
  /** Served from the answer cache: the same question in the same context moments ago. */
  cached?: boolean;
  degraded: boolean;
  degradedReason?: string;
  usage: (LlmUsage & { model: string })[];
  suggestions: SuggestedAction[];
  outcomes: QueryOutcome[];
}

export interface AnswerDeps {
  backends: QueryBackends;
  router?: LlmRouter;
  memory?: Pick<MemoryService, 'retrieveContext'>;
  onQuery: (outcome: QueryOutcome) => Promise<void>;
  maxToolRounds: number;
  /** Short-lived: answers are about live data. Absent or TTL 0: no answer caching. */
  answerCache?: Pick<ResponseCache, 'get' | 'set'>;
}

function resultsBlock(outcomes: readonly QueryOutcome[]): string {
  return outcomes.map((o) => untrustedBlock(`${o.language}: ${o.query}`, o.ok ? (o.lines.length ? o.lines.join('\n') : 'no data') : `error: ${o.error ?? 'failed'}`)).join('\n');
}

type CachedAnswer = Pick<AnswerResult, 'text' | 'suggestions' | 'outcomes'>;

export async function answerTurn(sessionId: string, text: string, u: Understanding, deps: AnswerDeps, streamer: ReplyStreamer, now: number): Promise<AnswerResult> {
  // Keyed by the normalised question + what was understood; an LLM answer can draw on the session's
  // memories (preferences), so it is shared only within that session.
  const llm = Boolean(deps.router?.configured && !u.degraded);
  const key = cacheKey('answer', text, { intent: u.intent.type, entities: u.entities, queries: u.queries.map((q) => q.query), llm, ...(llm ? { sessionId } : {}) });
  const hit = deps.answerCache ? await deps.answerCache.get<CachedAnswer>(key) : undefined;
  if (hit) {
    for (const o of hit.outcomes) await deps.onQuery(o);
    streamer.push(hit.text);
    return { ...hit, cached: true, degraded: false, usage: [] };
  }
  const result = await computeAnswer(sessionId, text, u, deps, streamer, now);
  // A degraded answer is not worth keeping: the next asker should get the full one once it recovers.
  if (deps.answerCache && !result.degraded)
    await deps.answerCache.set(key, { text: result.text, suggestions: result.suggestions, outcomes: result.outcomes } satisfies CachedAnswer);
  return result;
}

async function computeAnswer(sessionId: string, text: string, u: Understanding, deps: AnswerDeps, streamer: ReplyStreamer, now: number): Promise<AnswerResult> {
  const outcomes = await Promise.all(u.queries.map((q) => runQuery(q, deps.backends, now)));
  for (const o of outcomes) await deps.onQuery(o);
  const base: AnswerResult = { text: '', degraded: u.degraded, ...(u.degradedReason ? { degradedReason: u.degradedReason } : {}), usage: [], suggestions: [], outcomes };
  if (deps.router?.configured && !u.degraded) {
    try {
      return { ...base, ...(await llmAnswer(sessionId, text, u, outcomes, deps, streamer, now)) };
    } catch (err) {
      const reason = err instanceof LlmError ? err.kind : 'error';
      if (streamer.started) await streamer.reset(`llm ${reason}`);
      base.degraded = true;
      base.degradedReason = reason;
    }
  }
  const body = templateAnswer(u, outcomes);
  const answer = base.degraded ? `${body}\n${DEGRADED_NOTE}` : body;
  streamer.push(answer);
  return { ...base, text: answer };
}

async function llmAnswer(
  sessionId: string,
  text: string,
  u: Understanding,
  first: readonly QueryOutcome[],
  deps: AnswerDeps,
  streamer: ReplyStreamer,
  now: number,
): Promise<Pick<AnswerResult, 'text' | 'usage' | 'suggestions' | 'outcomes'>> {
  const context = deps.memory ? await deps.memory.retrieveContext(sessionId, text, 1500).catch(() => undefined) : undefined;
  const contextText = context?.items.map((i) => `${i.role ?? i.source}: ${i.text}`).join('\n');
  const outcomes = [...first];
  const usage: AnswerResult['usage'] = [];
  const suggestions: SuggestedAction[] = [];
  const messages: LlmMessage[] = [
    {
      role: 'user',
      content: [
        {
          type: 'text',
          text: [
            contextText ? `Earlier in this conversation (redacted):\n${untrustedBlock('memory', contextText)}` : '',
            `Understood as ${u.intent.type}; entities: ${u.entities.map((e) => `${e.type}=${e.value}`).join(', ') || 'none'}.`,
            first.length ? `Query results:\n${forModel(resultsBlock(first))}` : '',
            userTextForModel(forModel(text), 'User'),
          ]
            .filter(Boolean)
            .join('\n\n'),
        },
      ],
    },
  ];
  let reply = '';
  for (let round = 0; round <= deps.maxToolRounds; round++) {
    const response = await deps.router!.complete(
      { system: ANSWER_SYSTEM, messages, tools: round < deps.maxToolRounds ? [RUN_QUERY_TOOL, PROPOSE_ACTION_TOOL] : [PROPOSE_ACTION_TOOL], maxTokens: 1024, tier: 'default' },
      {
        onText: (delta) => {
          reply += delta;
          streamer.push(delta);
        },
      },
    );
    usage.push({ ...response.usage, model: response.model });
    const calls = toolUses(response);
    if (calls.length === 0 || response.stopReason !== 'tool_use') break;
    messages.push({ role: 'assistant', content: response.content });
    const results: LlmMessage['content'] = [];
    for (const call of calls) {
      if (call.name === PROPOSE_ACTION_TOOL.name) {
        const parsed = ProposeActionInput.safeParse(call.input);
        if (!parsed.success) {
          results.push({ type: 'tool_result', toolUseId: call.id, content: toolInputError(parsed.error), isError: true });
          continue;
        }
        const { runbook, params, reason } = parsed.data;
        suggestions.push({ runbook, params, reason: reason.slice(0, 300) });
        results.push({ type: 'tool_result', toolUseId: call.id, content: 'Recorded as a proposal. The user will be asked to confirm; nothing has run.' });
      } else if (call.name === RUN_QUERY_TOOL.name) {
        const parsed = RunQueryInput.safeParse(call.input);
        if (!parsed.success) {
          results.push({ type: 'tool_result', toolUseId: call.id, content: toolInputError(parsed.error), isError: true });
          continue;
        }
        const { language, query } = parsed.data;
        const check = checkQuery(language, query);
        const q: GeneratedQuery = {
          language,
          query,
          ...check,
          description: 'requested by the model',
          ...(u.queries[0]?.start ? { start: u.queries[0].start, end: u.queries[0].end } : {}),
        };
        const outcome = await runQuery(q, deps.backends, now);
        outcomes.push(outcome);
        await deps.onQuery(outcome);
        results.push({ type: 'tool_result', toolUseId: call.id, content: forModel(resultsBlock([outcome])), ...(outcome.ok ? {} : { isError: true }) });
      } else {
        results.push({ type: 'tool_result', toolUseId: call.id, content: `unknown tool ${call.name}`, isError: true });
      }
    }
    messages.push({ role: 'user', content: results });
  }
  if (!reply.trim()) {
    reply = suggestions.length ? 'I can propose that; see the confirmation below.' : 'I have nothing to add.';
    streamer.push(reply);
  }
  return { text: reply, usage, suggestions, outcomes };
}

/** Secrets and PII never reach the model: the user's words and live query results (log lines!) alike. */
function forModel(text: string): string {
  return sharedRedactor().redact(text).text;
}
