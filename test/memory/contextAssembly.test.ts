/** @jest-environment ./test/db/pgliteEnvironment.ts */
import { answerStyle, renderAnswer } from '../../memory/preferences/answerStyle';
import type { ShortTermStore } from '../../memory/shortTerm/shortTermStore';
import type { VectorStore } from '../../memory/vector/vectorStore';
import { EmbeddedVectorStore } from '../../memory/vector/embeddedVectorStore';
import { buildService, openMemoryDb, type MemoryDb, type ServiceParts } from './support/memoryHarness';

jest.mock('@electric-sql/pglite', () => (globalThis as Record<string, unknown>).__hostPglite);

describe('context assembly, preferences, redaction through the service (PGlite)', () => {
  let t: MemoryDb;
  let parts: ServiceParts;
  beforeAll(async () => {
    t = await openMemoryDb('pglite');
    parts = await buildService(t.db);
    const m = parts.service;
    await m.remember({
      text: 'INC-101 checkout-svc 502s: database connection pool exhausted; raised pool size to 50',
      kind: 'incident',
      createdBy: 'olga',
      scope: { service: 'checkout-svc' },
    });
    await m.remember({ text: 'INC-102 payments-api disk full from logs; enabled logrotate', kind: 'incident', createdBy: 'olga' });
    await m.remember({ text: 'runbook restart-pods on auth-svc succeeded in 90 seconds', kind: 'runbook-outcome', createdBy: 'olga' });
  });
  afterAll(async () => {
    await parts.close();
    await t.dispose();
  });

  it('ranks the similar past incident first and fits the budget', async () => {
    await parts.service.recordTurn('ctx-1', { role: 'user', content: 'checkout-svc is throwing 502s again' }, 'olga');
    const ctx = await parts.service.retrieveContext('ctx-1', 'has this happened before? checkout-svc 502 connection pool');
    const memories = ctx.items.filter((i) => i.source === 'memory');
    expect(memories[0]?.text).toContain('INC-101');
    expect(ctx.items.some((i) => i.source === 'turn' && i.text.includes('throwing 502s'))).toBe(true);
    expect(ctx.items.some((i) => i.source === 'entity' && i.text.includes('checkout-svc'))).toBe(true);
    expect(ctx.tokens).toBeLessThanOrEqual(8000);
    expect(ctx.partial).toBe(false);
    expect(ctx.tokenizer).toMatch(/cl100k/);
    for (const i of ctx.items) expect(i.score).toBeCloseTo(i.relevance * i.recency * i.importance, 6);
  });

  it('compresses a long session to the budget: dedupe, running summary, drops (ratio printed)', async () => {
    const s = 'ctx-long';
    for (let i = 0; i < 20; i++) {
      const content =
        i % 5 === 0
          ? 'The deploy of checkout-svc is stuck at the approval gate and nobody has approved it yet, please check.'
          : `Step ${i}: looked at dashboard ${i}, error rate ${i}% on checkout-svc, p99 ${200 + i} ms. Nothing conclusive in the logs for window ${i}, moving on to the next hypothesis about the pool and retries.`;
      await parts.service.recordTurn(s, { role: i % 2 ? 'assistant' : 'user', content }, 'olga');
    }
    const ctx = await parts.service.retrieveContext(s, 'why is checkout-svc slow', 400);
    console.log(
      `compression: ${ctx.compression.inputTokens} → ${ctx.compression.outputTokens} tokens (ratio ${ctx.compression.ratio}), ` +
        `deduped ${ctx.compression.deduped}, summarised ${ctx.compression.summarisedTurns} turns, dropped ${ctx.compression.dropped}`,
    );
    expect(ctx.tokens).toBeLessThanOrEqual(400);
    expect(ctx.compression.ratio).toBeGreaterThan(1.5);
    expect(ctx.compression.deduped).toBeGreaterThan(0);
    expect(ctx.compression.summarisedTurns).toBeGreaterThan(0);
    expect(ctx.compression.summariser).toBe('extractive');
    expect(ctx.items.some((i) => i.source === 'summary')).toBe(true);
    // The newest turn is never lost.
    expect(ctx.items.some((i) => i.text.includes('window 19'))).toBe(true);
  });

  it('an explicit preference is stored long-term and changes a later answer', async () => {
    const draft = {
      title: 'p99 latency of the checkout service',
      series: [
        ['10:00', 120],
        ['10:05', 340],
      ] as [string, number][],
    };
    const before = await parts.service.retrieveContext('ctx-pref', 'latency of the checkout service');
    const styleBefore = answerStyle(before.items.filter((i) => i.source === 'preference').map((i) => i.text));
    expect(renderAnswer(draft, styleBefore)).toContain('| 10:00 | 120 |');

    const r1 = await parts.service.recordTurn('ctx-pref', { role: 'user', content: 'Remember that we prefer charts, not tables.' }, 'olga');
    const r2 = await parts.service.recordTurn('ctx-pref', { role: 'user', content: 'remember: we call the checkout service checkout-svc' }, 'olga');
    expect(r1.rememberedId).toBeDefined();
    expect(r2.rememberedId).toBeDefined();

    // A different session, later: the preference comes from the long-term tier.
    const after = await parts.service.retrieveContext('ctx-pref-2', 'latency of the checkout service');
    const prefs = after.items.filter((i) => i.source === 'preference').map((i) => i.text);
    expect(prefs.join('\n')).toMatch(/charts, not tables/);
    const answer = renderAnswer(draft, answerStyle(prefs));
    expect(answer).toContain('█');
    expect(answer).not.toContain('| 10:00 |');
    expect(answer.split('\n')[0]).toBe('p99 latency of checkout-svc');
  });

  it('learns an implicit preference from repeated choices', async () => {
    const choose = () => parts.service.recordChoice({ scope: { user: 'vera' }, choice: 'time range', value: 'last 6 hours', subject: 'vera' });
    expect(await choose()).toBeUndefined();
    expect(await choose()).toBeUndefined();
    const id = await choose();
    expect(id).toBeDefined();
    expect((await parts.service.get(id!))?.text).toBe('prefers time range: last 6 hours (chosen 3 times)');
    const ctx = await parts.service.retrieveContext('ctx-implicit', 'what time range should the graph use');
    expect(ctx.items.some((i) => i.source === 'preference' && i.text.includes('last 6 hours'))).toBe(true);
  });

  it('redacts turns in every tier and restores the values for their session only', async () => {
    const r = await parts.service.recordTurn('ctx-pii', { role: 'user', content: 'mail dana@example.com, card 4111 1111 1111 1111' }, 'olga');
    expect(r.content).toBe('mail <EMAIL_1>, card <CARD_1>');
    const rows = await t.db.query<{ content: string }>(`select content from memory_messages where session_id = 'ctx-pii'`);
    expect(rows.map((x) => x.content)).toEqual(['mail <EMAIL_1>, card <CARD_1>']);
    expect((await parts.short.recentTurns('ctx-pii'))[0]?.content).toBe('mail <EMAIL_1>, card <CARD_1>');
    expect(await parts.service.restoreForSession('ctx-pii', 'I mailed <EMAIL_1>')).toBe('I mailed dana@example.com');
    expect(await parts.service.restoreForSession('ctx-other', 'I mailed <EMAIL_1>')).toBe('I mailed <EMAIL_1>');
  });

  it('forgets a session in every tier, including what it taught', async () => {
    const r = await parts.service.recordTurn('ctx-forget', { role: 'user', content: 'remember that staging-svc deploys need a freeze check' }, 'olga');
    expect(await parts.service.forgetSession('ctx-forget')).toBe(true);
    expect(await parts.short.recentTurns('ctx-forget')).toEqual([]);
    expect(await t.db.query(`select 1 from memory_messages where session_id = 'ctx-forget'`)).toEqual([]);
    expect(await parts.service.get(r.rememberedId!)).toBeUndefined();
    const hits = await parts.service.search({ q: 'staging-svc freeze check', limit: 5 });
    expect(hits.map((h) => h.id)).not.toContain(r.rememberedId);
  });
});

describe('degradation: slow or failing tiers are skipped, never failing the turn', () => {
  let t: MemoryDb;
  beforeAll(async () => {
    t = await openMemoryDb('pglite');
  });
  afterAll(async () => {
    await t.dispose();
  });

  it('skips a hanging short-term tier and a failing vector tier within the deadline', async () => {
    const hang = () => new Promise<never>(() => undefined);
    const base = await buildService(t.db);
    await base.service.recordTurn('deg-1', { role: 'user', content: 'auth-svc restarts keep failing' }, 'olga');
    await base.close();

    const short = {
      kind: 'redis',
      pushTurn: hang,
      recentTurns: hang,
      touchEntities: hang,
      focusEntities: hang,
      saveVault: hang,
      loadVault: () => Promise.reject(new Error('ECONNREFUSED')),
      forget: hang,
      ping: hang,
      close: async () => undefined,
    } as unknown as ShortTermStore;
    const real = new EmbeddedVectorStore(t.db, { dimension: 256 });
    await real.init();
    const vectors: VectorStore = Object.assign(Object.create(real) as VectorStore, {
      search: () => Promise.reject(new Error('qdrant: 503')),
    });
    const broken = await buildService(t.db, { short, vectors, options: { tierDeadlineMs: 100 } });
    const started = Date.now();
    const ctx = await broken.service.retrieveContext('deg-1', 'auth-svc restarts');
    const took = Date.now() - started;
    expect(ctx.partial).toBe(true);
    expect(ctx.skipped.join('\n')).toMatch(/short-term turns: no answer within 100 ms/);
    expect(ctx.skipped.join('\n')).toMatch(/long-term memories: qdrant: 503/);
    // Turns still come from the medium tier.
    expect(ctx.items.some((i) => i.source === 'turn' && i.text.includes('auth-svc restarts keep failing'))).toBe(true);
    expect(took).toBeLessThan(1000);
  });
});
