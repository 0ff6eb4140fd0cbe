import type { Database } from '../../db/database';
import { toJsonb } from '../../db/sanitize';
import { HnswIndex, type HnswIndexOptions } from './hnswIndex';
import { insertTop, VectorMatrix, type Scored } from './vectorMatrix';
import type { VectorFilter, VectorHit, VectorPayload, VectorPoint, VectorStore } from './vectorStore';

export interface EmbeddedVectorStoreOptions {
  table?: string;
  dimension: number;
  now?: () => number;
  /**
   * The HNSW index (`hnswIndex.ts`) per kind; `false`: exact search only. A kind with fewer than
   * `minRows` points (default 1000) is searched exactly.
   */
  ann?: false | (HnswIndexOptions & { minRows?: number; candidates?: number });
}

/**
 * Exact below this many points of a kind. A search scans every kind it asks for, so exact costs add
 * up over kinds: at 5000, a 10 K store (2000 per kind) was scanned whole, 3.4 ms p50 a search
 * against 1.6 ms through the graphs, and 1000 chatting sessions waited 47 ms p95 for their context
 * against 14 (bench/README.md). The graphs of those 10 K points took 0.5 s more to load.
 */
const ANN_MIN_ROWS = 1000;
/** ANN candidates re-scored exactly per search (at least; 5 × limit when that is more). */
const ANN_CANDIDATES = 100;

function toBytes(v: readonly number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(v).buffer);
}

function fromBytes(raw: Uint8Array): Float32Array {
  // Copy: pg's Buffer may be a view at an offset that is not 4-byte aligned.
  return new Float32Array(Uint8Array.from(raw).buffer);
}

/**
 * The embedded long-term store used when neither Qdrant nor pgvector is available (Debian's
 * Postgres 15 has no pgvector; the embedded PGlite does) or with VECTOR_STORE=embedded: vectors are persisted
 * as float32 bytes in an ordinary table of the same database and searched in memory. A brute-force
 * dot product over 100 K × 384 dims costs 40-500 ms per search (one core, more under load), so each
 * kind with at least `ann.minRows` points also has an HNSW graph (`hnswIndex.ts`, usearch): the
 * search takes its nearest `max(100, 5 × limit)` candidates, re-scores them exactly from the
 * float32 rows and applies the payload filter; when fewer than `limit` pass (a selective team or
 * service filter) that kind is scanned exactly instead, so a filter never loses matches. The
 * graphs are built at `init()` from the table (≈ 1-3 K points/s per core) and kept up to date on
 * every write. The in-memory index is per process, which is right for single-process dev mode
 * (PGlite); with several replicas on Postgres, use pgvector or Qdrant, since a replica would not
 * see points another one wrote after its start.
 */
/** Serialises concurrent `init()` of several processes ('memE'). */
const INIT_LOCK_KEY = 0x6d656d45;

export class EmbeddedVectorStore implements VectorStore {
  readonly kind = 'embedded' as const;
  readonly dimension: number;
  private readonly table: string;
  private readonly now: () => number;
  /** One matrix per kind: preference look-ups (every turn) scan only preferences. */
  private readonly byKind = new Map<string, VectorMatrix<VectorPayload>>();
  /** id → kind, to find a point's matrix on delete. */
  private readonly kindOf = new Map<string, string>();
  /** One HNSW graph per kind, over the same points as its matrix. */
  private readonly annByKind = new Map<string, HnswIndex>();
  private readonly annOptions: false | (HnswIndexOptions & { minRows?: number; candidates?: number });

  constructor(
    private readonly db: Database,
    options: EmbeddedVectorStoreOptions,
  ) {
    this.dimension = options.dimension;
    this.table = options.table ?? 'memory_vectors_embedded';
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(this.table)) throw new Error(`invalid vector table name ${this.table}`);
    this.now = options.now ?? Date.now;
    this.annOptions = options.ann ?? {};
  }

  async init(): Promise<void> {
    // `create table if not exists` races between processes starting together (an API and a worker
    // on a fresh database: duplicate pg_type row), so the creation holds a transaction-scoped lock.
    await this.db.transaction(async (tx) => {
      await tx.query('select pg_advisory_xact_lock($1)', [INIT_LOCK_KEY]);
      await tx.exec(`
        create table if not exists ${this.table} (
          id uuid primary key, session_id text, expires_at bigint not null, dimension int not null,
          payload jsonb not null, embedding bytea not null
        );
        create index if not exists ${this.table}_session on ${this.table} (session_id);
      `);
    });
    const other = await this.db.query<{ dimension: number }>(`select dimension from ${this.table} where dimension <> $1 limit 1`, [this.dimension]);
    if (other[0]) {
      throw new Error(`vector table ${this.table} holds ${other[0].dimension}-dimensional vectors, the embedder produces ${this.dimension}`);
    }
    const rows = await this.db.query<{ id: string; payload: VectorPayload; embedding: Uint8Array }>(`select id, payload, embedding from ${this.table} where expires_at > $1`, [
      this.now(),
    ]);
    for (const r of rows) this.put(r.id, fromBytes(r.embedding), r.payload);
    this.indexAll();
  }

  async upsert(all: readonly VectorPoint[]): Promise<void> {
    for (const p of all) {
      if (p.vector.length !== this.dimension) throw new Error(`vector has dimension ${p.vector.length}, expected ${this.dimension}`);
    }
    // ON CONFLICT cannot touch a row twice in one statement: the last point of an id wins.
    const points = [...new Map(all.map((p) => [p.id, p])).values()];
    if (points.length === 0) return;
    const params: unknown[] = [];
    const rows = points.map((p) => {
      const b = params.length;
      params.push(p.id, p.payload.sessionId ?? null, p.payload.expiresAt, this.dimension, toJsonb(p.payload), toBytes(p.vector));
      return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}::jsonb, $${b + 6})`;
    });
    await this.db.query(
      `insert into ${this.table} (id, session_id, expires_at, dimension, payload, embedding) values ${rows.join(', ')}
       on conflict (id) do update set session_id = excluded.session_id, expires_at = excluded.expires_at,
         dimension = excluded.dimension, payload = excluded.payload, embedding = excluded.embedding`,
      params,
    );
    for (const p of points) this.put(p.id, p.vector, { ...p.payload });
    this.index(points);
  }

  async search(vector: readonly number[], filter: VectorFilter, limit: number): Promise<VectorHit[]> {
    const now = this.now();
    const q = Float32Array.from(vector);
    const kinds = filter.kinds && filter.kinds.length > 0 ? new Set<string>(filter.kinds) : undefined;
    const accept = (p: VectorPayload) =>
      p.tenant === filter.tenant && p.expiresAt > now && (filter.team === undefined || p.team === filter.team) && (filter.service === undefined || p.service === filter.service);
    const best: Scored<VectorPayload>[] = [];
    for (const [kind, matrix] of this.byKind) {
      if (kinds && !kinds.has(kind)) continue;
      const ann = this.annByKind.get(kind);
      if (!ann) {
        matrix.topK(q, limit, accept, best);
        continue;
      }
      const found: Scored<VectorPayload>[] = [];
      matrix.topKOf(ann.search(q, Math.max(this.annCandidates, 5 * limit)), q, limit, accept, found);
      // Short: the filter passes few of this kind's points, so an exact scan is the one that finds them all.
      if (found.length < Math.min(limit, matrix.size)) {
        found.length = 0;
        matrix.topK(q, limit, accept, found);
      }
      for (const f of found) insertTop(best, f, limit);
    }
    return best.map((b) => ({ id: b.id, score: b.score, payload: { ...b.payload } }));
  }

  async delete(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db.query(`delete from ${this.table} where id = any($1::uuid[])`, [[...ids]]);
    for (const id of ids) this.remove(id);
    this.compact();
  }

  async deleteBySession(sessionId: string): Promise<void> {
    await this.db.query(`delete from ${this.table} where session_id = $1`, [sessionId]);
    for (const matrix of this.byKind.values()) {
      for (const [id, p] of [...matrix.entries()]) if (p.sessionId === sessionId) this.remove(id);
    }
    this.compact();
  }

  async purgeExpired(): Promise<void> {
    const now = this.now();
    await this.db.query(`delete from ${this.table} where expires_at <= $1`, [now]);
    for (const matrix of this.byKind.values()) {
      for (const [id, p] of [...matrix.entries()]) if (p.expiresAt <= now) this.remove(id);
    }
    this.compact();
  }

  async count(): Promise<number> {
    return this.kindOf.size;
  }

  /** The kinds searched through an HNSW graph right now (the others exactly). */
  get indexedKinds(): string[] {
    return [...this.annByKind.keys()].sort();
  }

  async close(): Promise<void> {
    this.kindOf.clear();
    this.byKind.clear();
    this.annByKind.clear();
  }

  private get annMinRows(): number {
    return this.annOptions ? (this.annOptions.minRows ?? ANN_MIN_ROWS) : Number.POSITIVE_INFINITY;
  }

  private get annCandidates(): number {
    return this.annOptions ? (this.annOptions.candidates ?? ANN_CANDIDATES) : 0;
  }

  /** Builds the graph of every kind big enough to have one (start-up). */
  private indexAll(): void {
    if (!this.annOptions) return;
    for (const [kind, matrix] of this.byKind) {
      if (matrix.size < this.annMinRows || this.annByKind.has(kind)) continue;
      const ann = new HnswIndex(this.dimension, this.annOptions);
      ann.rebuild(matrix.vectors());
      this.annByKind.set(kind, ann);
    }
  }

  /** Written points into their kind's graph; a kind that just reached `minRows` gets its graph. */
  private index(points: readonly VectorPoint[]): void {
    if (!this.annOptions) return;
    const byKind = new Map<string, VectorPoint[]>();
    for (const p of points) {
      if (!this.annByKind.has(p.payload.kind)) continue;
      let list = byKind.get(p.payload.kind);
      if (!list) byKind.set(p.payload.kind, (list = []));
      list.push(p);
    }
    for (const [kind, list] of byKind) {
      const rows = new Float32Array(list.length * this.dimension);
      list.forEach((p, i) => rows.set(p.vector, i * this.dimension));
      this.annByKind.get(kind)!.add(
        list.map((p) => p.id),
        rows,
      );
    }
    this.indexAll();
  }

  /** Rebuilds a graph whose tombstones (deleted points) outnumber half its live points. */
  private compact(): void {
    for (const [kind, ann] of this.annByKind) {
      const matrix = this.byKind.get(kind);
      if (!matrix || matrix.size < this.annMinRows / 2) this.annByKind.delete(kind);
      else if (ann.needsRebuild) ann.rebuild(matrix.vectors());
    }
  }

  /** Into the kind's matrix; the caller then calls `index` (graphs are fed in batches). */
  private put(id: string, vector: ArrayLike<number>, payload: VectorPayload): void {
    if (this.kindOf.get(id) !== payload.kind) this.remove(id);
    let matrix = this.byKind.get(payload.kind);
    if (!matrix) this.byKind.set(payload.kind, (matrix = new VectorMatrix<VectorPayload>(this.dimension)));
    matrix.set(id, vector, payload);
    this.kindOf.set(id, payload.kind);
  }

  private remove(id: string): void {
    const kind = this.kindOf.get(id);
    if (kind === undefined) return;
    this.byKind.get(kind)?.delete(id);
    this.annByKind.get(kind)?.remove(id);
    this.kindOf.delete(id);
  }
}
