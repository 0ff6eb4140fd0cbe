import { randomUUID } from 'node:crypto';
import type { DbLogger } from '../db/database';
import { ContextAssembler, type ContextAssemblerOptions } from './context/contextAssembler';
import type { AssembledContext } from './context/contextItem';
import { ExtractiveSummariser, type Summariser } from './context/compression';
import { extractEntities } from './context/entities';
import type { Embedder } from './embeddings/embedder';
import type { ChoiceRepository } from './mediumTerm/choiceRepository';
import type { MemoryRecordRepository } from './mediumTerm/memoryRecordRepository';
import type { SessionRepository, SummarySubject } from './mediumTerm/sessionRepository';
import { explicitPreference } from './preferences/explicitPreference';
import { PlaceholderVault } from './redaction/placeholderVault';
import type { Redactor } from './redaction/redactor';
import type { ShortTermStore } from './shortTerm/shortTermStore';
import { countTokens } from './tokenizer';
import { DEFAULT_IMPORTANCE, DEFAULT_TENANT, type MemoryKind, type MemoryRecord, type TurnRole } from './types';
import type { VectorStore } from './vector/vectorStore';

export interface MemoryServiceDeps {
  short: ShortTermStore;
  sessions: SessionRepository;
  records: MemoryRecordRepository;
  choices: ChoiceRepository;
  vectors: VectorStore;
  embedder: Embedder;
  redactor: Redactor;
  summariser?: Summariser;
  logger?: DbLogger;
  now?: () => number;
}

export interface MemoryServiceOptions extends Omit<ContextAssemblerOptions, 'team'> {
  longTermTtlMs: number;
  defaultBudgetTokens: number;
  implicitPreferenceThreshold: number;
}

export interface RememberInput {
  text: string;
  kind: MemoryKind;
  scope?: { team?: string; service?: string };
  createdBy: string;
  sessionId?: string;
  importance?: number;
}

export interface SearchInput {
  q: string;
  kinds?: MemoryKind[];
  service?: string;
  team?: string;
  limit: number;
}

export interface SearchItem {
  id: string;
  text: string;
  kind: MemoryKind;
  score: number;
  createdAt: string;
}

/**
 * The one entry point to every memory tier (the chat and incident activities and the API call
 * this; workflows reach it only through those activities). Everything is redacted on the way in; the raw values behind placeholders stay in
 * the session's short-term vault.
 */
export class MemoryService {
  private readonly now: () => number;
  private readonly assembler: ContextAssembler;

  constructor(
    private readonly deps: MemoryServiceDeps,
    readonly options: MemoryServiceOptions,
  ) {
    this.now = deps.now ?? Date.now;
    this.assembler = new ContextAssembler({ ...deps, summariser: deps.summariser ?? new ExtractiveSummariser(), now: this.now }, options);
  }

  get backends(): { shortTerm: string; vectors: string; embedder: string } {
    return { shortTerm: this.deps.short.kind, vectors: this.deps.vectors.kind, embedder: this.deps.embedder.name };
  }

  private async vault(sessionId: string): Promise<PlaceholderVault> {
    try {
      return new PlaceholderVault(await this.deps.short.loadVault(sessionId));
    } catch {
      return new PlaceholderVault(); // short-term down: redaction still happens, just not reversibly
    }
  }

  /** Redacts with the session's vault (persisting new placeholders). */
  async redactForSession(sessionId: string, text: string): Promise<string> {
    const vault = await this.vault(sessionId);
    const before = vault.size;
    const out = this.deps.redactor.redact(text, vault);
    if (vault.size > before) await this.deps.short.saveVault(sessionId, vault.entries()).catch(() => undefined);
    return out.text;
  }

  /** Puts the session's own values back into a reply shown to that session's user. */
  async restoreForSession(sessionId: string, text: string): Promise<string> {
    return (await this.vault(sessionId)).restore(text);
  }

  async remember(input: RememberInput): Promise<MemoryRecord> {
    const text = input.sessionId ? await this.redactForSession(input.sessionId, input.text) : this.deps.redactor.redact(input.text).text;
    const now = this.now();
    const record: MemoryRecord = {
      id: randomUUID(),
      text,
      kind: input.kind,
      scope: { tenant: DEFAULT_TENANT, ...input.scope },
      importance: input.importance ?? DEFAULT_IMPORTANCE[input.kind],
      createdBy: input.createdBy,
      ...(input.sessionId ? { sessionId: input.sessionId } : {}),
      createdAt: new Date(now),
      expiresAt: new Date(now + this.options.longTermTtlMs),
    };
    await this.rememberMany([record]);
    return record;
  }

  /** Bulk load (benchmarks, imports): records must already be redacted. */
  async rememberMany(records: readonly MemoryRecord[]): Promise<void> {
    const vectors = await this.deps.embedder.embed(records.map((r) => r.text));
    await this.deps.records.insert(records);
    try {
      await this.deps.vectors.upsert(
        records.map((r, i) => ({
          id: r.id,
          vector: vectors[i] ?? [],
          payload: {
            tenant: r.scope.tenant,
            ...(r.scope.team ? { team: r.scope.team } : {}),
            ...(r.scope.service ? { service: r.scope.service } : {}),
            kind: r.kind,
            ...(r.sessionId ? { sessionId: r.sessionId } : {}),
            text: r.text,
            importance: r.importance,
            createdAt: r.createdAt.getTime(),
            expiresAt: r.expiresAt.getTime(),
          },
        })),
      );
    } catch (err) {
      // No record without its vector: undo so search and GET never disagree.
      for (const r of records) await this.deps.records.delete(r.id).catch(() => undefined);
      throw err;
    }
  }

  async search(input: SearchInput): Promise<SearchItem[]> {
    const q = this.deps.redactor.redact(input.q).text;
    const [vector] = await this.deps.embedder.embed([q]);
    const hits = await this.deps.vectors.search(
      vector ?? [],
      {
        tenant: DEFAULT_TENANT,
        ...(input.team ? { team: input.team } : {}),
        ...(input.service ? { service: input.service } : {}),
        ...(input.kinds ? { kinds: input.kinds } : {}),
      },
      input.limit,
    );
    return hits.map((h) => ({
      id: h.id,
      text: h.payload.text,
      kind: h.payload.kind,
      score: Number(h.score.toFixed(4)),
      createdAt: new Date(h.payload.createdAt).toISOString(),
    }));
  }

  get(id: string): Promise<MemoryRecord | undefined> {
    return this.deps.records.get(id);
  }

  /** Gone from every tier: the canonical record and the vector. */
  async delete(id: string): Promise<boolean> {
    await this.deps.vectors.delete([id]);
    return this.deps.records.delete(id);
  }

  async recordTurn(sessionId: string, turn: { role: TurnRole; content: string }, subject: string): Promise<{ content: string; rememberedId?: string }> {
    const at = this.now();
    const content = await this.redactForSession(sessionId, turn.content);
    const redacted = { role: turn.role, content, at };
    const entities = extractEntities(content, at);
    await this.deps.sessions.ensureSession(sessionId, DEFAULT_TENANT, subject);
    await this.deps.sessions.appendMessage(sessionId, redacted, countTokens(content));
    await this.deps.sessions.touchEntities(sessionId, entities);
    // Short-term is a cache: a Redis hiccup must not lose the turn, which Postgres already holds.
    await Promise.all([this.deps.short.pushTurn(sessionId, redacted), this.deps.short.touchEntities(sessionId, entities)]).catch((err: unknown) =>
      this.deps.logger?.warn({ err, sessionId }, 'short-term memory write failed; medium-term has the turn'),
    );
    const statement = turn.role === 'user' ? explicitPreference(content) : undefined;
    if (!statement) return { content };
    const record = await this.remember({ text: statement, kind: 'preference', createdBy: subject, sessionId });
    return { content, rememberedId: record.id };
  }

  /** Implicit preferences: the threshold-th identical choice becomes a long-term preference. */
  async recordChoice(input: { scope: { team?: string; user?: string }; choice: string; value: string; subject: string }): Promise<string | undefined> {
    const scopeKey = input.scope.team ? `team:${input.scope.team}` : `user:${input.scope.user ?? input.subject}`;
    const promote = await this.deps.choices.record(DEFAULT_TENANT, scopeKey, input.choice, input.value, this.options.implicitPreferenceThreshold);
    if (!promote) return undefined;
    const record = await this.remember({
      text: `prefers ${input.choice}: ${input.value} (chosen ${this.options.implicitPreferenceThreshold} times)`,
      kind: 'preference',
      createdBy: input.subject,
      ...(input.scope.team ? { scope: { team: input.scope.team } } : {}),
    });
    return record.id;
  }

  async summarise(subject: SummarySubject, subjectId: string, text: string): Promise<void> {
    await this.deps.sessions.putSummary(subject, subjectId, this.deps.redactor.redact(text).text);
  }

  async retrieveContext(sessionId: string, query: string, budgetTokens = this.options.defaultBudgetTokens): Promise<AssembledContext> {
    return this.assembler.assemble(sessionId, await this.redactForSession(sessionId, query), budgetTokens);
  }

  sessionOwner(sessionId: string): Promise<string | undefined> {
    return this.deps.sessions.sessionOwner(sessionId);
  }

  /** Forgets a session in every tier, including the memories it taught. */
  async forgetSession(sessionId: string): Promise<boolean> {
    await this.deps.short.forget(sessionId);
    const existed = await this.deps.sessions.forgetSession(sessionId);
    const ids = await this.deps.records.deleteBySession(sessionId);
    await this.deps.vectors.deleteBySession(sessionId);
    return existed || ids.length > 0;
  }

  /** Retention across tiers (short-term expires by itself). */
  async purgeExpired(): Promise<void> {
    await this.deps.sessions.purgeExpired();
    const ids = await this.deps.records.purgeExpired();
    await this.deps.vectors.delete(ids);
    await this.deps.vectors.purgeExpired();
  }
}
