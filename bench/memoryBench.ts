import { randomUUID } from 'node:crypto';
import type { Database } from '../db/database';
import { migrate } from '../db/migrate';
import { PgliteDatabase } from '../db/pgliteDatabase';
import { PostgresDatabase } from '../db/postgresDatabase';
import { startPgvectorPostgres, type RunningServer } from '../test/support/realServers';
import { HashedEmbedder } from '../memory/embeddings/hashedEmbedder';
import { ChoiceRepository } from '../memory/mediumTerm/choiceRepository';
import { MemoryRecordRepository } from '../memory/mediumTerm/memoryRecordRepository';
import { SessionRepository } from '../memory/mediumTerm/sessionRepository';
import { MemoryService } from '../memory/memoryService';
import { Redactor } from '../memory/redaction/redactor';
import { InProcessShortTermStore } from '../memory/shortTerm/inProcessShortTermStore';
import { RedisShortTermStore } from '../memory/shortTerm/redisShortTermStore';
import type { ShortTermStore } from '../memory/shortTerm/shortTermStore';
import { EmbeddedVectorStore } from '../memory/vector/embeddedVectorStore';
import { PgvectorStore } from '../memory/vector/pgvectorStore';
import type { VectorStore } from '../memory/vector/vectorStore';
import type { MemoryKind, MemoryRecord } from '../memory/types';
import { recordRows, type BenchRow } from './report';
import { summary } from './stats';

/**
 * Memory benchmark (`npx tsx bench/memoryBench.ts`, or `BENCH_SUITES=memory npm run bench`).
 *
 * Backends (BENCH_MEMORY_BACKENDS, default `pgvector,embedded`):
 * - `pgvector`: PgvectorStore on a real multi-client Postgres with pgvector: BENCH_DATABASE_URL, else
 *   a private server from the pgserver wheel (test/support/realServers.ts startPgvectorPostgres;
 *   ./scripts/test.sh installs it). Medium-term tables on the same server.
 * - `embedded`: EmbeddedVectorStore (in-memory, HNSW graphs per kind) persisted in the same Postgres
 *   (PGlite when there is none).
 * - `pglite`: PgvectorStore on embedded PGlite (pgvector 0.8 in WASM, one process).
 * Short-term in-process, or Redis with BENCH_REDIS_URL.
 *
 * Per size (BENCH_MEMORY_SIZES, 1000,10000,100000): vector search top-20 p50/p95 and recall@5
 * against an exact scan of the same vectors; `retrieveContext` for one caller; for
 * BENCH_SESSIONS (1000) concurrent sessions in steady state (each session retrieves, then thinks
 * for a random 0..2 × BENCH_THINK_MS (10000) like a person typing the next turn, for
 * BENCH_STEADY_SECONDS (40)); and a burst (every session at the same instant: one Node process
 * queueing 1000 requests, shown for reference). BENCH_PG_POOL (20): pool size of the API-side pool.
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

/** `sessions` sessions, each: retrieve, think 0..2 × thinkMs (uniform), repeat, until `seconds` have passed. */
async function steadySessions(sessions: number, thinkMs: number, seconds: number, fn: (session: number) => Promise<unknown>): Promise<{ samples: number[]; wallMs: number }> {
  const samples: number[] = [];
  const started = performance.now();
  const end = started + seconds * 1000;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  await Promise.all(
    Array.from({ length: sessions }, async (_, s) => {
      // Sessions start spread over one think time, as people do not all type at the same instant.
      await sleep(Math.random() * thinkMs);
      while (performance.now() < end) {
        const t0 = performance.now();
        await fn(s);
        samples.push(performance.now() - t0);
        await sleep(Math.random() * 2 * thinkMs);
      }
    }),
  );
  return { samples, wallMs: performance.now() - started };
}

const ms = (x: number) => `${x.toFixed(1)} ms`;
const rate = (n: number, wallMs: number) => `${Math.round((n / wallMs) * 1000).toLocaleString('en')}/s`;
const DIMENSION = 384;
const MEMORY_KINDS: MemoryKind[] = ['incident', 'runbook-outcome', 'doc', 'note'];

type Backend = 'pgvector' | 'embedded' | 'pglite';

/** The loaded vectors, kept by the bench for the exact ground truth of recall@5. */
class GroundTruth {
  private data = new Float32Array(DIMENSION * 1024);
  private readonly ids: string[] = [];
  private readonly kinds: MemoryKind[] = [];

  add(id: string, kind: MemoryKind, vector: readonly number[]): void {
    if ((this.ids.length + 1) * DIMENSION > this.data.length) {
      const bigger = new Float32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data.set(vector, this.ids.length * DIMENSION);
    this.ids.push(id);
    this.kinds.push(kind);
  }

  /** Exact top k by dot product (the hashed embedder's vectors are unit length: cosine). */
  top(query: readonly number[], kinds: ReadonlySet<MemoryKind>, k: number): string[] {
    const best: { id: string; score: number }[] = [];
    for (let row = 0; row < this.ids.length; row++) {
      if (!kinds.has(this.kinds[row]!)) continue;
      let score = 0;
      const base = row * DIMENSION;
      for (let i = 0; i < DIMENSION; i++) score += this.data[base + i]! * query[i]!;
      if (best.length >= k && score <= best[best.length - 1]!.score) continue;
      let at = best.length;
      while (at > 0 && best[at - 1]!.score < score) at--;
      best.splice(at, 0, { id: this.ids[row]!, score });
      if (best.length > k) best.pop();
    }
    return best.map((b) => b.id);
  }
}

async function benchBackend(backend: Backend, pgUrl: string | undefined, log: (line: string) => void): Promise<BenchRow[]> {
  const sizes = (process.env.BENCH_MEMORY_SIZES ?? '1000,10000,100000').split(',').map(Number);
  const sessions = Number(process.env.BENCH_SESSIONS ?? 1000);
  const thinkMs = Number(process.env.BENCH_THINK_MS ?? 10000);
  const steadySeconds = Number(process.env.BENCH_STEADY_SECONDS ?? 40);
  const poolSize = Number(process.env.BENCH_PG_POOL ?? 20);
  const rows: BenchRow[] = [];
  const db: Database = backend !== 'pglite' && pgUrl ? new PostgresDatabase({ connectionString: pgUrl, poolSize }) : await PgliteDatabase.open();
  const short: ShortTermStore = process.env.BENCH_REDIS_URL
    ? await RedisShortTermStore.connect(process.env.BENCH_REDIS_URL, { ttlSeconds: 600, maxTurns: 20 })
    : new InProcessShortTermStore({ ttlSeconds: 600, maxTurns: 20 });
  try {
    await migrate(db);
    // A fresh start per backend: the records, sessions and vectors of an earlier run are dropped.
    await db.exec('drop table if exists bench_vectors; truncate memory_sessions, memory_messages, memory_entities, memory_summaries, memory_records, memory_choices');
    const embedder = new HashedEmbedder({ dimension: DIMENSION });
    const vectors: VectorStore =
      backend === 'embedded'
        ? new EmbeddedVectorStore(db, { table: 'bench_vectors', dimension: DIMENSION })
        : new PgvectorStore(db, { table: 'bench_vectors', dimension: DIMENSION });
    await vectors.init();
    const label = `${backend}: ${vectors.kind === 'pgvector' ? 'PgvectorStore (HNSW per kind)' : 'EmbeddedVectorStore (HNSW per kind, exact re-score)'} on ${db.kind === 'pglite' ? 'PGlite' : `Postgres (pool ${poolSize})`}, short-term ${short.kind}`;
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
    log(`memory bench — ${label}; embedder ${embedder.name}; ${sessions} sessions`);

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

    const truth = new GroundTruth();
    let loaded = 0;
    const now = Date.now();
    const question = (i: number) => `has ${SERVICES[i % 8]} had ${SYMPTOMS[(i + 3) % 10]} before?`;
    for (const size of sizes) {
      const t0 = performance.now();
      for (; loaded < size; loaded += 1000) {
        const batch = Array.from({ length: Math.min(1000, size - loaded) }, (_, j) => syntheticRecord(loaded + j, now));
        await memory.rememberMany(batch);
        const embedded = await embedder.embed(batch.map((r) => r.text));
        batch.forEach((r, j) => truth.add(r.id, r.kind, embedded[j]!));
      }
      const loadMs = performance.now() - t0;
      const at = `${size >= 1000 ? `${size / 1000}k` : size}`;
      const memFilter = { tenant: 'default', kinds: MEMORY_KINDS };
      const queryOf = (i: number) => embedder.embedOne(`${SERVICES[i % 8]} ${SYMPTOMS[i % 10]} region ${i % 13}`);
      const search = await timeEach(200, 1, (i) => vectors.search(queryOf(i), memFilter, 20));
      // recall@5: the store's top 5 against the exact top 5 over the same vectors and filter.
      let agree = 0;
      const recallQueries = 50;
      for (let i = 0; i < recallQueries; i++) {
        const q = queryOf(i * 7 + 1);
        const exact = new Set(truth.top(q, new Set(MEMORY_KINDS), 5));
        agree += (await vectors.search(q, memFilter, 5)).filter((h) => exact.has(h.id)).length;
      }
      const recall = agree / (recallQueries * 5);
      const seq = await timeEach(100, 1, (i) => memory.retrieveContext(`bench-s-${i % sessions}`, question(i)));
      const burst = await timeEach(sessions, sessions, (i) => memory.retrieveContext(`bench-s-${i}`, question(i)));
      let round = 0;
      const steady = await steadySessions(sessions, thinkMs, steadySeconds, (s) => memory.retrieveContext(`bench-s-${s}`, question(s + round++)));
      const vs = summary(search.samples);
      const s1 = summary(seq.samples);
      const sb = summary(burst.samples);
      const ss = summary(steady.samples);
      log(
        `${size.toLocaleString('en')} memories (loaded +${ms(loadMs)}, ${rate(size - (sizes[sizes.indexOf(size) - 1] ?? 0), loadMs)} writes): ` +
          `vector search top-20 p50 ${ms(vs.p50)} p95 ${ms(vs.p95)}, recall@5 ${recall.toFixed(3)}; retrieveContext 1 caller p50 ${ms(s1.p50)} p95 ${ms(s1.p95)}; ` +
          `${sessions} sessions steady (think ${thinkMs} ms, ${rate(ss.n, steady.wallMs)}) p50 ${ms(ss.p50)} p95 ${ms(ss.p95)}; ` +
          `burst of ${sessions} at once p50 ${ms(sb.p50)} p95 ${ms(sb.p95)} (${rate(sessions, burst.wallMs)})`,
      );
      const name = (what: string) => `${backend}/${what}@${at}`;
      const searchTarget = backend === 'embedded' && size >= 100_000 ? { target: { op: '<' as const, value: 20 } } : {};
      rows.push(
        { suite: 'memory', scenario: name('search-top20'), figure: vs.p95, unit: 'ms', stat: 'p95', ...searchTarget, note: `p50 ${vs.p50.toFixed(1)} ms` },
        { suite: 'memory', scenario: name('search-recall@5'), figure: recall, unit: 'ratio', stat: 'mean', note: `vs exact, ${recallQueries} queries` },
        { suite: 'memory', scenario: name('retrieve-1-caller'), figure: s1.p95, unit: 'ms', stat: 'p95', note: `p50 ${s1.p50.toFixed(1)} ms` },
        {
          suite: 'memory',
          scenario: name(`retrieve-${sessions}-sessions`),
          figure: ss.p95,
          unit: 'ms',
          stat: 'p95',
          ...(backend === 'pgvector' ? { target: { op: '<' as const, value: 100 } } : {}),
          note: `steady: ${sessions} sessions, think 0-${(2 * thinkMs) / 1000} s, ${ss.n} retrievals at ${rate(ss.n, steady.wallMs)}; p50 ${ss.p50.toFixed(1)} ms`,
        },
        {
          suite: 'memory',
          scenario: name(`retrieve-${sessions}-burst`),
          figure: sb.p95,
          unit: 'ms',
          stat: 'p95',
          note: `all ${sessions} at the same instant, one process; p50 ${sb.p50.toFixed(1)} ms`,
        },
        { suite: 'memory', scenario: name('load'), figure: loadMs / 1000, unit: 's', stat: 'total', note: `+${size - (sizes[sizes.indexOf(size) - 1] ?? 0)} memories` },
      );
    }
    await vectors.close();
  } finally {
    await short.close();
    await db.close();
  }
  return rows;
}

export async function runMemoryBench(log: (line: string) => void = console.log): Promise<void> {
  const backends = (process.env.BENCH_MEMORY_BACKENDS ?? 'pgvector,embedded').split(',').map((b) => b.trim()) as Backend[];
  const unknown = backends.filter((b) => !['pgvector', 'embedded', 'pglite'].includes(b));
  if (unknown.length) throw new Error(`unknown BENCH_MEMORY_BACKENDS entries: ${unknown.join(', ')} (known: pgvector, embedded, pglite)`);
  let server: RunningServer | undefined;
  let pgUrl = process.env.BENCH_DATABASE_URL;
  try {
    if (!pgUrl && backends.some((b) => b !== 'pglite')) {
      server = await startPgvectorPostgres();
      pgUrl = server.url;
    }
    for (const backend of backends) recordRows(await benchBackend(backend, pgUrl, log));
  } finally {
    await server?.stop();
  }
}

if (require.main === module) {
  runMemoryBench().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
