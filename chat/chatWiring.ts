import type { Client } from '@temporalio/client';
import type { AppConfig } from '../config/env';
import type { EventStore } from '../domain/events';
import type { IncidentService } from '../incidents/incidentService';
import { incidentBackends } from '../incidents/incidentWiring';
import type { Summariser } from '../memory/context/compression';
import type { MemoryService } from '../memory/memoryService';
import { Redactor } from '../memory/redaction/redactor';
import { createChatActivities } from './activities/chatActivities';
import type { ChatCatalogue, ChatRuns } from './activities/runActions';
import { ResponseCache } from './cache/responseCache';
import { SubjectTokenBudget } from '../llm/subjectTokenBudget';
import type { LlmRouter } from '../llm/llmRouter';
import { LlmSummariser } from '../llm/llmSummariser';
import { createRouter } from '../llm/routerFromConfig';
import type { ModelPrice } from '../llm/usageMeter';
import type { RunbookPlanner } from '../runbooks/planner/runbookPlanner';
import { DEFAULT_SESSION_OPTIONS, type ChatSessionOptions } from './model/types';
import { NlpEngine } from './nlp/nlpEngine';
import { Grounding } from './query/grounding';
import { SessionService, type SessionTextFilter, type WaitSubscriptions } from './session/sessionService';
import { createRedisClient } from '../config/redisClient';

/**
 * Builds chat from configuration, for workers (activities) and the API (sessions + /nlp/parse).
 * The LLM router is empty without ANTHROPIC_API_KEY / OPENAI_COMPAT_URL: then everything runs on
 * the rule-based engine, which is a complete path on its own.
 */
export type ChatConfig = Pick<
  AppConfig,
  | 'ANTHROPIC_API_KEY'
  | 'ANTHROPIC_BASE_URL'
  | 'ANTHROPIC_MODEL'
  | 'ANTHROPIC_CHEAP_MODEL'
  | 'OPENAI_COMPAT_URL'
  | 'OPENAI_COMPAT_API_KEY'
  | 'OPENAI_COMPAT_MODEL'
  | 'OPENAI_COMPAT_CHEAP_MODEL'
  | 'LLM_TIMEOUT_MS'
  | 'LLM_DAILY_TOKENS_PER_SUBJECT'
  | 'LLM_BREAKER_THRESHOLD'
  | 'LLM_BREAKER_HALF_OPEN_MS'
  | 'CHAT_CACHE_TTL_SECONDS'
  | 'CHAT_ANSWER_CACHE_TTL_SECONDS'
  | 'CHAT_CACHE_MAX_ENTRIES'
  | 'CHAT_CONFIDENCE_THRESHOLD'
  | 'CHAT_MAX_MESSAGE_CHARS'
  | 'CHAT_CONTINUE_AS_NEW_TURNS'
  | 'CHAT_STREAM_COALESCE_MS'
  | 'LLM_PRICES'
  | 'REDIS_URL'
  | 'TASK_QUEUE'
  | 'MEMORY_REDACT_IPS'
  | 'PROMETHEUS_URL'
  | 'PROMETHEUS_AUTH'
  | 'PROMETHEUS_TENANT'
  | 'LOKI_URL'
  | 'LOKI_AUTH'
  | 'LOKI_TENANT'
  | 'TEMPO_URL'
  | 'TEMPO_AUTH'
  | 'TEMPO_TENANT'
  | 'BACKEND_QUERY_TIMEOUT_MS'
  | 'INCIDENT_WEBHOOK_URL'
  | 'PAGERDUTY_ROUTING_KEY'
  | 'PAGERDUTY_EVENTS_URL'
  | 'INCIDENT_RATE_WINDOW'
  | 'INCIDENT_RECHECK_INTERVAL'
  | 'INCIDENT_SCOPE_LABELS'
  | 'INCIDENT_ENVIRONMENT'
  | 'INCIDENT_QUERY_BUDGET'
  | 'INCIDENT_TOKEN_BUDGET'
  | 'INCIDENT_LLM_QUERIES_PER_ROUND'
  | 'INCIDENT_CHECK_TIME_BUDGET'
>;

/**
 * LLM_PRICES → USD per million tokens per model. Prices change, so none are built in: unlisted
 * models (and local servers) are metered in tokens with a cost of 0.
 */
export function parsePrices(value: string | undefined): Record<string, ModelPrice> {
  const out: Record<string, ModelPrice> = {};
  for (const entry of (value ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const [model, price] = entry.split('=');
    const [input, output] = (price ?? '').split('/');
    if (model && input && output) out[model.trim()] = { inputPerMTok: Number(input), outputPerMTok: Number(output) };
  }
  return out;
}

/**
 * Memory compression through the model when a provider is configured (ANTHROPIC_API_KEY or
 * OPENAI_COMPAT_URL), else undefined (memory keeps the extractive summariser). It has its own
 * router, so summaries never trip the breaker that chat turns depend on; any failure falls back
 * to the extractive summary. Pass it to `openMemory(…, { summariser })`.
 */
export function createMemorySummariser(config: ChatConfig, logger?: { warn(obj: object, msg: string): void }): Summariser | undefined {
  const router = createRouter(config);
  if (!router.configured) return undefined;
  return new LlmSummariser({
    router,
    timeoutMs: config.LLM_TIMEOUT_MS,
    redactor: new Redactor({ redactIps: config.MEMORY_REDACT_IPS }),
    ...(logger ? { onFallback: (err: unknown) => logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'LLM summary failed; extractive summary used') } : {}),
  });
}

export function sessionOptions(config: ChatConfig): ChatSessionOptions {
  return {
    ...DEFAULT_SESSION_OPTIONS,
    confidenceThreshold: config.CHAT_CONFIDENCE_THRESHOLD,
    maxMessageChars: config.CHAT_MAX_MESSAGE_CHARS,
    continueAsNewAfterTurns: config.CHAT_CONTINUE_AS_NEW_TURNS,
  };
}

export interface ChatCore {
  nlp: NlpEngine;
  router: LlmRouter;
  cache: ResponseCache;
  /** Undefined when CHAT_ANSWER_CACHE_TTL_SECONDS is 0. */
  answerCache?: ResponseCache;
  grounding: Grounding;
  backends: ReturnType<typeof incidentBackends>;
  tokenBudget: SubjectTokenBudget;
  close(): Promise<void>;
}

export async function createChatCore(config: ChatConfig, catalogue: ChatCatalogue): Promise<ChatCore> {
  const redis = config.REDIS_URL ? await createRedisClient(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: true }) : undefined;
  const cache = new ResponseCache({ name: 'understanding', maxEntries: config.CHAT_CACHE_MAX_ENTRIES, ttlMs: config.CHAT_CACHE_TTL_SECONDS * 1000, ...(redis ? { redis } : {}) });
  const answerCache =
    config.CHAT_ANSWER_CACHE_TTL_SECONDS > 0
      ? new ResponseCache({
          name: 'answer',
          maxEntries: config.CHAT_CACHE_MAX_ENTRIES,
          ttlMs: config.CHAT_ANSWER_CACHE_TTL_SECONDS * 1000,
          keyPrefix: 'copilot:answer:',
          ...(redis ? { redis } : {}),
        })
      : undefined;
  const router = createRouter(config);
  const backends = incidentBackends(config);
  const grounding = new Grounding(backends);
  const nlp = new NlpEngine({ grounding, router, cache, runbooks: () => catalogue.names(), redactor: new Redactor({ redactIps: config.MEMORY_REDACT_IPS }) });
  return {
    nlp,
    router,
    cache,
    tokenBudget: new SubjectTokenBudget(config.LLM_DAILY_TOKENS_PER_SUBJECT, redis),
    ...(answerCache ? { answerCache } : {}),
    grounding,
    backends,
    async close() {
      if (redis) redis.disconnect();
    },
  };
}

export function createChatWorkerActivities(
  config: ChatConfig,
  core: ChatCore,
  deps: { events: EventStore; catalogue: ChatCatalogue; runs?: ChatRuns; incidents?: IncidentService; memory?: MemoryService; planner?: RunbookPlanner },
) {
  return createChatActivities({
    events: deps.events,
    nlp: core.nlp,
    backends: core.backends,
    catalogue: deps.catalogue,
    ...(deps.runs ? { runs: deps.runs } : {}),
    ...(deps.incidents ? { incidents: deps.incidents } : {}),
    ...(deps.memory ? { memory: deps.memory } : {}),
    ...(deps.planner ? { planner: deps.planner } : {}),
    ...(core.router.configured ? { router: core.router } : {}),
    prices: parsePrices(config.LLM_PRICES),
    coalesceMs: config.CHAT_STREAM_COALESCE_MS,
    ...(core.answerCache ? { answerCache: core.answerCache } : {}),
    tokenBudget: core.tokenBudget,
  });
}

/** Redaction before anything is stored: the session's reversible vault with memory, else one-way. */
export function textFilter(memory: MemoryService | undefined, redactIps: boolean): SessionTextFilter {
  if (memory) return { redact: (id, t) => memory.redactForSession(id, t), restore: (id, t) => memory.restoreForSession(id, t) };
  const redactor = new Redactor({ redactIps });
  return { redact: async (_id, t) => redactor.redact(t).text, restore: async (_id, t) => t };
}

export function createSessionService(
  config: ChatConfig,
  deps: { client: Client; events: Pick<EventStore, 'list'>; fanout: WaitSubscriptions; memory?: MemoryService; options?: Partial<ChatSessionOptions> },
): SessionService {
  return new SessionService({
    client: deps.client,
    taskQueue: config.TASK_QUEUE,
    events: deps.events,
    fanout: deps.fanout,
    text: textFilter(deps.memory, config.MEMORY_REDACT_IPS),
    options: { ...sessionOptions(config), ...deps.options },
  });
}
