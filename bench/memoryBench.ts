import { randomUUID } from 'node:crypto';
import type { Database } from '../db/database';
import { migrate } from '../db/migrate';
import { PgliteDatabase } from '../db/pgliteDatabase';
import { PostgresDatabase } from '../db/postgresDatabase';
import { HashedEmbedder } from '../memory/embeddings/hashedEmbedder';
import { ChoiceRepository } from '../memory/mediumTerm/choiceRepository';
import { MemoryRecordRepository } from '../memory/mediumTerm/memoryRecordRepository';
import { SessionRepository } from '../memory/mediumTerm/sessionRepository';
import { MemoryService } from '../memory/memoryService';
import { Redactor } from '../memory/redaction/redactor';
import { InProcessShortTermStore } from '../memory/shortTerm/inProcessShortTermStore';
import { RedisShortTermStore } from '../memory/shortTerm/redisShortTermStore';
import type { ShortTermStore } from '../memory/shortTerm/shortTermStore';
import { pgvectorAvailable } from '../memory/vector/createVectorStore';
import { EmbeddedVectorStore } from '../memory/vector/embeddedVectorStore';
import { PgvectorStore } from '../memory/vector/pgvectorStore';
import type { VectorStore } from '../memory/vector/vectorStore';
import type { MemoryKind, MemoryRecord } from '../memory/types';
import { summary } from './stats';

/**
 * Memory benchmark (`npx tsx bench/memoryBench.ts`; the lead calls `runMemoryBench()` from main).
 * Backends: medium-term and vectors on embedded PGlite, or on Postgres with BENCH_DATABASE_URL;
 * vectors in PgvectorStore (HNSW) when the database has pgvector (PGlite does), else
 * EmbeddedVectorStore (exact in-memory search); BENCH_VECTOR_STORE=pgvector|embedded forces one.
 * Short-term in-process, or Redis with BENCH_REDIS_URL. Knobs: BENCH_MEMORY_SIZES
 * (1000,10000,100000), BENCH_SESSIONS (1000).
 */
const SERVICES = ['checkout-svc', 'payments-api', 'auth-svc', 'cart-svc', 'search-worker', 'orders-consumer', 'billing-svc', 'session-svc'];
const SYMPTOMS = [
  '502 errors',
  'high p99 latency',
  'OOMKilled pods',
  'disk full',
  'connection pool exhausted',
  'TLS certificate expired',
  'consumer lag',
  'DNS failures',
  'GC pauses',
  'deadlocks',
];
const FIXES = [
  'raised the pool size',
  'rolled back the deploy',
  'added logrotate',
  'raised the memory limit',
  'scaled replicas',
  'renewed the certificate',
  'tuned the heap',
  'split the batch',
];
const KINDS: MemoryKind[] = ['incident', 'runbook-outcome', 'doc', 'note', 'preference'];

function syntheticRecord(i: number, now: number): MemoryRecord {
  const svc = SERVICES[i % SERVICES.length]!;
  const kind = KINDS[i % KINDS.length]!;
  return {
    id: randomUUID(),
    text: `INC-${i} ${svc} had ${SYMPTOMS[(i * 7) % SYMPTOMS.length]} in region ${i % 13}; ${FIXES[(i * 3) % FIXES.length]} (ticket ${i * 31})`,
    kind,
    scope: { tenant: 'default', service: svc },
    importance: 0.5 + (i % 5) / 10,
    createdBy: 'bench',
    createdAt: new Date(now - (i % 10_000) * 60_000),
    expiresAt: new Date(now + 90 * 86_400_000),
  };
}

async function timeEach(n: number, concurrency: number, fn: (i: number) => Promise<unknown>): Promise<{ samples: number[]; wallMs: number }> {
  const samples: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) {
        const i = next++;
        const t0 = performance.now();
        await fn(i);
        samples.push(performance.now() - t0);
      }
    }),
  );
  return { samples, wallMs: performance.now() - started };
}

const ms = (x: number) => `${x.toFixed(1)} ms`;
const rate = (n: number, wallMs: number) => `${Math.round((n / wallMs) * 1000).toLocaleString('en')}/s`;

export async function runMemoryBench(log: (line: string) => void = console.log): Promise<void> {
  const sizes = (process.env.BENCH_MEMORY_SIZES ?? '1000,10000,100000').split(',').map(Number);
  const sessions = Number(process.env.BENCH_SESSIONS ?? 1000);
  const db: Database = process.env.BENCH_DATABASE_URL ? new PostgresDatabase({ connectionString: process.env.BENCH_DATABASE_URL, poolSize: 10 }) : await PgliteDatabase.open();
  const short: ShortTermStore = process.env.BENCH_REDIS_URL
    ? await RedisShortTermStore.connect(process.env.BENCH_REDIS_URL, { ttlSeconds: 600, maxTurns: 20 })
    : new InProcessShortTermStore({ ttlSeconds: 600, maxTurns: 20 });
  try {
    await migrate(db);
    await db.exec('drop table if exists bench_vectors');
    const embedder = new HashedEmbedder({ dimension: 384 });
    const choice = process.env.BENCH_VECTOR_STORE ?? ((await pgvectorAvailable(db)) ? 'pgvector' : 'embedded');
    const vectors: VectorStore =
      choice === 'pgvector' ? new PgvectorStore(db, { table: 'bench_vectors', dimension: 384 }) : new EmbeddedVectorStore(db, { table: 'bench_vectors', dimension: 384 });
    await vectors.init();
    const backend = `${db.kind === 'pglite' ? 'PGlite (embedded)' : 'Postgres'} + ${vectors.kind === 'pgvector' ? 'PgvectorStore (HNSW)' : 'EmbeddedVectorStore'}, short-term ${short.kind}`;
    const memory = new MemoryService(
      {
        short,
        sessions: new SessionRepository(db, { turnsMs: 86_400_000, summariesMs: 30 * 86_400_000 }),
        records: new MemoryRecordRepository(db),
        choices: new ChoiceRepository(db),
        vectors,
        embedder,
        redactor: new Redactor(),
      },
      {
        longTermTtlMs: 90 * 86_400_000,
        defaultBudgetTokens: 8000,
        implicitPreferenceThreshold: 3,
        tierDeadlineMs: 60_000,
        maxTurns: 20,
        keepVerbatimTurns: 4,
        memoryCandidates: 20,
      },
    );
    log(`memory bench — backend: ${backend}; embedder ${embedder.name}; ${sessions} sessions`);

    // Per-tier throughput.
    const st = await timeEach(20_000, 100, (i) => short.pushTurn(`tp-${i % 1000}`, { role: 'user', content: `turn ${i}`, at: Date.now() }));
    const sr = await timeEach(20_000, 100, (i) => short.recentTurns(`tp-${i % 1000}`, 10));
    log(`short-term (${short.kind}): write ${rate(20_000, st.wallMs)}, read ${rate(20_000, sr.wallMs)}`);
    const repo = new SessionRepository(db, { turnsMs: 86_400_000, summariesMs: 86_400_000 });
    const mw = await timeEach(5_000, 10, (i) => repo.appendMessage(`tp-${i % 500}`, { role: 'user', content: `turn ${i} about checkout-svc`, at: Date.now() }, 6));
    const mr = await timeEach(5_000, 10, (i) => repo.recentMessages(`tp-${i % 500}`, 20));
    log(`medium-term (${db.kind}): write ${rate(5_000, mw.wallMs)}, read last-20 ${rate(5_000, mr.wallMs)}`);

    // Sessions with a few turns each (recordTurn: redaction, both tiers, entities).
    const seeded = await timeEach(sessions * 4, 50, (i) =>
      memory.recordTurn(
        `bench-s-${i % sessions}`,
        { role: i % 2 ? 'assistant' : 'user', content: `${SERVICES[i % 8]} shows ${SYMPTOMS[i % 10]} since 10:${i % 60}; mail ops@example.com` },
        'bench',
      ),
    );
    log(`recordTurn (all tiers): ${rate(sessions * 4, seeded.wallMs)}, p50 ${ms(summary(seeded.samples).p50)}`);

    let loaded = 0;
    const now = Date.now();
    for (const size of sizes) {
      const t0 = performance.now();
      for (; loaded < size; loaded += 1000) {
        await memory.rememberMany(Array.from({ length: Math.min(1000, size - loaded) }, (_, j) => syntheticRecord(loaded + j, now)));
      }
      const loadMs = performance.now() - t0;
      const search = await timeEach(200, 1, (i) => vectors.search(embedder.embedOne(`${SERVICES[i % 8]} ${SYMPTOMS[i % 10]}`), { tenant: 'default' }, 20));
      const seq = await timeEach(100, 1, (i) => memory.retrieveContext(`bench-s-${i % sessions}`, `has ${SERVICES[i % 8]} had ${SYMPTOMS[(i + 3) % 10]} before?`));
      const conc = await timeEach(sessions, sessions, (i) => memory.retrieveContext(`bench-s-${i}`, `has ${SERVICES[i % 8]} had ${SYMPTOMS[(i + 3) % 10]} before?`));
      const s1 = summary(seq.samples);
      const sc = summary(conc.samples);
      const vs = summary(search.samples);
      log(
        `${size.toLocaleString('en')} memories (loaded +${ms(loadMs)}, ${rate(size - (sizes[sizes.indexOf(size) - 1] ?? 0), loadMs)} writes): ` +
          `vector search p50 ${ms(vs.p50)} p95 ${ms(vs.p95)}; retrieveContext 1 caller p50 ${ms(s1.p50)} p95 ${ms(s1.p95)}; ` +
          `${sessions} concurrent sessions p50 ${ms(sc.p50)} p95 ${ms(sc.p95)} (${rate(sessions, conc.wallMs)})`,
      );
    }
  } finally {
    await short.close();
    await db.close();
  }
}

if (require.main === module) {
  runMemoryBench().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
