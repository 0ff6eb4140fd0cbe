import { cosine, type Embedder } from '../embeddings/embedder';
import type { SessionRepository } from '../mediumTerm/sessionRepository';
import type { ShortTermStore } from '../shortTerm/shortTermStore';
import { countTokens } from '../tokenizer';
import { DEFAULT_TENANT, type FocusEntity, type Turn } from '../types';
import type { VectorHit, VectorStore } from '../vector/vectorStore';
import { dedupe, pack, type Summariser } from './compression';
import type { AssembledContext, ContextItem } from './contextItem';
import { withDeadline } from './deadline';

export interface ContextAssemblerOptions {
  /** Per-tier deadline; a tier that misses it is skipped and the context marked partial. */
  tierDeadlineMs: number;
  maxTurns: number;
  /** The newest turns are never folded into the summary. */
  keepVerbatimTurns: number;
  memoryCandidates: number;
  team?: string;
}

export interface ContextAssemblerDeps {
  short: ShortTermStore;
  sessions: SessionRepository;
  vectors: VectorStore;
  embedder: Embedder;
  summariser: Summariser;
  now?: () => number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Half-life decay with a floor: an old root cause is still worth showing if it is the match. */
const recency = (ageMs: number, halfLifeMs: number) => Math.max(0.15, Math.pow(0.5, Math.max(0, ageMs) / halfLifeMs));
const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

function item(partial: Omit<ContextItem, 'tokens' | 'score'>): ContextItem {
  return { ...partial, tokens: countTokens(partial.text) + 4, score: partial.relevance * partial.recency * partial.importance };
}

/**
 * retrieveContext: gathers every tier in parallel under a deadline, scores candidates by
 * relevance × recency × importance, and compresses to the token budget (dedupe, fold old turns
 * into a running summary, drop the lowest-scored). The query is expected to be redacted already.
 */
/** Turn embeddings kept between retrievals (per process; LRU by insertion order). */
const TURN_VECTOR_CACHE = 5000;

export class ContextAssembler {
  private readonly now: () => number;
  /**
   * Every retrieval scores the session's last turns against the query, and those turns barely
   * change between two retrievals: re-embedding up to `maxTurns` texts each time was most of the
   * CPU of a retrieval (and a model or API call per turn with the other embedders). Keyed by the
   * (redacted) text, so a hit is the same vector the embedder would return.
   */
  private readonly turnVectors = new Map<string, number[]>();

  constructor(
    private readonly deps: ContextAssemblerDeps,
    private readonly options: ContextAssemblerOptions,
  ) {
    this.now = deps.now ?? Date.now;
  }

  async assemble(sessionId: string, query: string, budgetTokens: number): Promise<AssembledContext> {
    const { short, sessions, vectors, embedder } = this.deps;
    const ms = this.options.tierDeadlineMs;
    const skipped: string[] = [];
    const queryVector = await withDeadline(async () => (await embedder.embed([query]))[0] ?? [], ms, 'embedder', 'embedder');
    if (!queryVector.ok) skipped.push(queryVector.reason);
    const qv = queryVector.ok ? queryVector.value : undefined;

    const filter = { tenant: DEFAULT_TENANT, ...(this.options.team ? { team: this.options.team } : {}) };
    const [shortTurns, shortEntities, summary, memories, preferences] = await Promise.all([
      withDeadline(() => short.recentTurns(sessionId, this.options.maxTurns), ms, 'short-term turns', 'short'),
      withDeadline(() => short.focusEntities(sessionId, 20), ms, 'short-term entities', 'short'),
      withDeadline(() => sessions.getSummary('session', sessionId), ms, 'session summary', 'medium'),
      qv
        ? withDeadline(
            () => vectors.search(qv, { ...filter, kinds: ['incident', 'runbook-outcome', 'doc', 'note'] }, this.options.memoryCandidates),
            ms,
            'long-term memories',
            'long',
          )
        : Promise.resolve({ ok: false as const, reason: 'long-term memories: no query vector' }),
      qv
        ? withDeadline(() => vectors.search(qv, { ...filter, kinds: ['preference'] }, 10), ms, 'preferences', 'long')
        : Promise.resolve({ ok: false as const, reason: 'preferences: no query vector' }),
    ]);

    // Short-term is a cache of the medium tier: when it is empty (expired) or down, read Postgres.
    let turns: Turn[] = shortTurns.ok ? shortTurns.value : [];
    let entities: FocusEntity[] = shortEntities.ok ? shortEntities.value : [];
    if (!shortTurns.ok || turns.length === 0) {
      const medium = await withDeadline(() => sessions.recentMessages(sessionId, this.options.maxTurns), ms, 'medium-term turns', 'medium');
      if (medium.ok) turns = medium.value;
      else skipped.push(medium.reason);
      if (!shortTurns.ok) skipped.push(shortTurns.reason);
    }
    if (!shortEntities.ok || entities.length === 0) {
      const medium = await withDeadline(() => sessions.entities(sessionId, 20), ms, 'medium-term entities', 'medium');
      if (medium.ok) entities = medium.value;
      else if (!shortEntities.ok) skipped.push(shortEntities.reason);
    }
    for (const r of [summary, memories, preferences]) if (!r.ok) skipped.push(r.reason);

    const now = this.now();
    const candidates: ContextItem[] = [];
    const turnVectors = qv && turns.length > 0 ? await this.embedTurns(turns) : [];
    turns.forEach((t, i) => {
      const fromEnd = turns.length - 1 - i;
      candidates.push(
        item({
          source: 'turn',
          role: t.role,
          text: `${t.role}: ${t.content}`,
          // The conversation's thread matters even when a turn shares no words with the query.
          relevance: 0.5 + 0.5 * clamp01(qv && turnVectors[i] ? cosine(qv, turnVectors[i]) : 0),
          recency: recency(now - t.at, 30 * 60_000),
          importance: fromEnd < this.options.keepVerbatimTurns ? 1 : 0.6,
          at: t.at,
        }),
      );
    });
    for (const e of entities) {
      candidates.push(item({ source: 'entity', text: `in focus: ${e.type} ${e.value}`, relevance: 0.6, recency: recency(now - e.at, HOUR), importance: 0.7, at: e.at }));
    }
    if (summary.ok && summary.value) {
      candidates.push(item({ source: 'summary', text: `earlier in this conversation:\n${summary.value}`, relevance: 0.7, recency: 1, importance: 0.8, at: now }));
    }
    const fromHit = (h: VectorHit, source: 'memory' | 'preference', halfLife: number) =>
      item({
        source,
        id: h.id,
        kind: h.payload.kind,
        text: `${h.payload.kind}: ${h.payload.text}`,
        relevance: clamp01(h.score),
        recency: recency(now - h.payload.createdAt, halfLife),
        importance: h.payload.importance,
        at: h.payload.createdAt,
      });
    if (memories.ok) for (const h of memories.value) candidates.push(fromHit(h, 'memory', 30 * DAY));
    // Preferences apply whatever the query: relevance has a floor so they reach the prompt.
    if (preferences.ok) {
      for (const h of preferences.value) candidates.push(fromHit({ ...h, score: Math.max(0.5, h.score) }, 'preference', 180 * DAY));
    }

    return this.compress(sessionId, candidates, turns, budgetTokens, skipped);
  }

  private async embedTurns(turns: readonly Turn[]): Promise<number[][]> {
    const missing = [...new Set(turns.map((t) => t.content).filter((c) => !this.turnVectors.has(c)))];
    if (missing.length > 0) {
      const vectors = await this.deps.embedder.embed(missing);
      missing.forEach((text, i) => {
        if (this.turnVectors.size >= TURN_VECTOR_CACHE) this.turnVectors.delete(this.turnVectors.keys().next().value!);
        this.turnVectors.set(text, vectors[i] ?? []);
      });
    }
    return turns.map((t) => this.turnVectors.get(t.content) ?? []);
  }

  private async compress(sessionId: string, candidates: ContextItem[], turns: readonly Turn[], budget: number, skipped: string[]): Promise<AssembledContext> {
    const inputTokens = candidates.reduce((s, c) => s + c.tokens, 0);
    let items = candidates;
    let deduped = 0;
    let summarisedTurns = 0;
    let summariser: AssembledContext['compression']['summariser'] = 'none';
    if (inputTokens > budget) {
      items = dedupe(candidates);
      deduped = candidates.length - items.length;
      const oldTurns = turns.slice(0, Math.max(0, turns.length - this.options.keepVerbatimTurns));
      if (items.reduce((s, c) => s + c.tokens, 0) > budget && oldTurns.length > 0) {
        const cap = Math.max(32, Math.floor(budget * 0.15));
        const text = await this.deps.summariser.summarise(oldTurns, cap);
        const oldTexts = new Set(oldTurns.map((t) => `${t.role}: ${t.content}`));
        items = items.filter((c) => !(c.source === 'turn' && oldTexts.has(c.text)));
        if (text) items.push(item({ source: 'summary', text: `summary of earlier turns:\n${text}`, relevance: 0.7, recency: 1, importance: 0.8, at: this.now() }));
        summarisedTurns = oldTurns.length;
        summariser = this.deps.summariser.kind;
      }
    }
    const { kept, dropped } = pack(items, budget);
    // Present in reading order: preferences and memories first, then the conversation in time order.
    const order: ContextItem['source'][] = ['preference', 'memory', 'summary', 'entity', 'turn'];
    kept.sort((a, b) => order.indexOf(a.source) - order.indexOf(b.source) || (a.source === 'turn' ? a.at - b.at : b.score - a.score));
    const outputTokens = kept.reduce((s, c) => s + c.tokens, 0);
    return {
      sessionId,
      items: kept,
      tokens: outputTokens,
      budgetTokens: budget,
      partial: skipped.length > 0,
      skipped,
      tokenizer: 'cl100k-style regex pre-tokenizer + sub-word length heuristic (memory/tokenizer.ts)',
      compression: {
        inputTokens,
        outputTokens,
        ratio: outputTokens > 0 ? Number((inputTokens / outputTokens).toFixed(3)) : 1,
        deduped,
        dropped,
        summarisedTurns,
        summariser,
      },
    };
  }
}
