import { Redactor } from '../../memory/redaction/redactor';
import { cacheKey, type ResponseCache } from '../cache/responseCache';
import type { LlmRouter } from '../../llm/llmRouter';
import { LlmError } from '../../llm/llmErrors';
import { CLASSIFY_TOOL, ClassifyInput, UNDERSTAND_SYSTEM, userTextForModel } from '../prompts';
import { toolUses, type LlmResponse } from '../../llm/types';
import { ACTING_INTENTS, type Entity, type FocusEntity, type GeneratedQuery, type Understanding } from '../model/types';
import { checkQuery } from '../query/grammar';
import type { Grounding } from '../query/grounding';
import { translate } from '../query/translate';
import { resolveReferences, type LastTurn } from './references';
import { actsOnlyInQuotes, understandWithRules } from './ruleEngine';

/**
 * Understanding of one message: cache → LLM (tool use, cheap tier) → rules. The LLM path is used
 * only when a provider is configured; any LLM failure (open circuit, 429, 529, timeout, bad output)
 * falls back to the rules with `degraded: true`. Queries are always grounded and grammar-checked
 * here, whichever path understood the text. Text is redacted before it can reach a provider.
 */
export interface NlpContext {
  focus?: readonly FocusEntity[];
  last?: LastTurn;
  now?: number;
  /** Why the LLM may not be used for this request (e.g. the subject's daily token budget is spent). */
  llmBlocked?: string;
}

export interface NlpEngineDeps {
  grounding: Grounding;
  router?: LlmRouter;
  cache?: ResponseCache;
  runbooks: () => readonly string[];
  redactor?: Redactor;
}

export type ParseResult = Understanding & { usage?: LlmResponse['usage'] & { model: string } };

export class NlpEngine {
  private readonly redactor: Redactor;

  constructor(private readonly deps: NlpEngineDeps) {
    this.redactor = deps.redactor ?? new Redactor();
  }

  get llmConfigured(): boolean {
    return Boolean(this.deps.router?.configured);
  }

  async parse(text: string, ctx: NlpContext = {}): Promise<ParseResult> {
    const now = ctx.now ?? Date.now();
    const safe = this.redactor.redact(text).text;
    const context = { focus: (ctx.focus ?? []).map((f) => `${f.type}=${f.value}`).sort(), last: ctx.last?.intent ?? null, llm: this.llmConfigured && !ctx.llmBlocked };
    const key = cacheKey('understand', safe, context);
    const hit = await this.deps.cache?.get<Understanding>(key);
    if (hit) {
      // Relative time ranges are stored as durations, so re-translating gives a fresh window.
      return { ...hit, source: 'cache', queries: await translate(safe, hit.intent.type, hit.entities, this.deps.grounding, now) };
    }
    let result: ParseResult | undefined;
    let degradedReason: string | undefined;
    let llmUsage: ParseResult['usage'];
    if (this.deps.router?.configured && ctx.llmBlocked) {
      degradedReason = ctx.llmBlocked;
    } else if (this.deps.router?.configured) {
      try {
        result = await this.viaLlm(safe, ctx, now);
      } catch (err) {
        degradedReason = err instanceof LlmError ? err.kind : 'error';
      }
    }
    // A model may be talked into an action by the text the user quoted; the action must be in the
    // user's own words, so the rules (which drop quoted material) decide such a message instead.
    if (result && ACTING_INTENTS.includes(result.intent.type) && actsOnlyInQuotes(safe, { now, runbooks: this.deps.runbooks() })) {
      llmUsage = result.usage;
      result = undefined;
    }
    if (!result) {
      const knownServices = await this.deps.grounding.knownServices();
      const rules = understandWithRules(safe, {
        now,
        knownServices,
        runbooks: this.deps.runbooks(),
        ...(ctx.focus ? { focus: ctx.focus } : {}),
        ...(ctx.last ? { last: ctx.last } : {}),
      });
      result = {
        ...rules,
        queries: await translate(safe, rules.intent.type, rules.entities, this.deps.grounding, now),
        source: 'rules',
        degraded: degradedReason !== undefined,
        ...(degradedReason ? { degradedReason } : {}),
        ...(llmUsage ? { usage: llmUsage } : {}),
      };
    }
    // Degraded answers are not cached: the next turn should try the LLM again.
    if (!result.degraded) {
      const { usage: _usage, queries: _queries, ...cached } = result;
      await this.deps.cache?.set(key, { ...cached, queries: [] });
    }
    return result;
  }

  private async viaLlm(text: string, ctx: NlpContext, now: number): Promise<ParseResult> {
    const focus = (ctx.focus ?? [])
      .slice(0, 10)
      .map((f) => `${f.type}=${f.value}`)
      .join(', ');
    const response = await this.deps.router!.complete({
      system: UNDERSTAND_SYSTEM,
      messages: [{ role: 'user', content: [{ type: 'text', text: `Now: ${new Date(now).toISOString()}\nEntities in focus: ${focus || 'none'}\n${userTextForModel(text)}` }] }],
      tools: [CLASSIFY_TOOL],
      toolChoice: { type: 'tool', name: CLASSIFY_TOOL.name },
      maxTokens: 600,
      tier: 'cheap',
      temperature: 0,
    });
    const call = toolUses(response).find((t) => t.name === CLASSIFY_TOOL.name);
    const parsed = ClassifyInput.safeParse(call?.input);
    if (!parsed.success) throw new LlmError('bad_output', 'classification did not match the schema', response.provider);
    const entities: Entity[] = parsed.data.entities.map((e) => ({ type: e.type, value: e.value, ...(e.text ? { text: e.text } : {}) }));
    const resolved = resolveReferences(text, { type: parsed.data.intent, confidence: parsed.data.confidence }, entities, ctx.focus ?? [], ctx.last);
    const grounded = await translate(text, resolved.intent.type, resolved.entities, this.deps.grounding, now);
    // The model's own queries are kept only when they parse; the grounded ones stay beside them.
    const fromModel: GeneratedQuery[] = (parsed.data.queries ?? [])
      .map((q) => ({
        ...q,
        ...checkQuery(q.language, q.query),
        description: 'proposed by the model',
        ...(grounded[0]?.start ? { start: grounded[0].start, end: grounded[0].end } : {}),
      }))
      .filter((q) => q.valid && !grounded.some((g) => g.query === q.query));
    return {
      ...resolved,
      queries: [...grounded, ...fromModel],
      source: 'llm',
      degraded: false,
      usage: { ...response.usage, model: response.model },
    };
  }
}
