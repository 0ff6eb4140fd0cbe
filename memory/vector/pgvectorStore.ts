import type { Database, Queryable } from '../../db/database';
import { MemoryKind } from '../types';
import { VectorStoreConfigError, type VectorFilter, type VectorHit, type VectorPoint, type VectorStore } from './vectorStore';

export interface PgvectorStoreOptions {
  /** Plain SQL identifier. */
  table?: string;
  dimension: number;
  /** HNSW index for sub-linear search (default on); off: exact scans only. */
  hnsw?: boolean;
  now?: () => number;
  /** Close the database with the store (it was opened for it). */
  ownsDatabase?: boolean;
}

interface HitRow {
  id: string;
  /** Cosine distance (1 - similarity). */
  distance: number;
  tenant: string;
  team: string | null;
  service: string | null;
  kind: MemoryKind;
  session_id: string | null;
  text: string;
  importance: number;
  created_at: string | number;
  expires_at: string | number;
}

/** pgvector's HNSW index supports `vector` columns of at most 2000 dimensions. */
const HNSW_MAX_DIMENSION = 2000;
/** 11 parameters per row; Postgres allows 65535 per statement. */
const UPSERT_BATCH = 1000;
/** Serialises concurrent `init()` of several replicas (create extension/table are not race-free). */
const INIT_LOCK_KEY = 0x6d656d76; // 'memv'

const vectorLiteral = (v: readonly number[]): string => `[${v.map((x) => (Number.isFinite(x) ? x : 0)).join(',')}]`;

/** Index name suffix per kind (`runbook-outcome` → `runbook_outcome`). */
const kindSlug = (kind: MemoryKind): string => kind.replace(/[^a-z0-9]/g, '_');
/** Kinds are a closed zod enum, so they can be spliced as literals (the partial indexes need literals). */
const kindLiteral = (kind: MemoryKind): string => `'${MemoryKind.parse(kind)}'`;

function versionAtLeast(version: string, major: number, minor: number): boolean {
  const [a = 0, b = 0] = version.split('.').map((x) => Number.parseInt(x, 10));
  return a > major || (a === major && b >= minor);
}

/**
 * pgvector on PGlite (the embedded default: `db/pgliteDatabase.ts` registers the
 * `@electric-sql/pglite-pgvector` extension) or on a Postgres server that has it. The extension,
 * table (`vector(<embedder dimension>)`) and HNSW cosine indexes are created here at start-up, not in
 * shared migrations, because they need the extension and the embedder's dimension. Times are epoch
 * ms in bigint columns so payloads round-trip exactly.
 *
 * One partial HNSW index per kind (`where kind = '<kind>'`), not one over the whole table: every
 * context retrieval filters by kind (preferences apart from the other memories), and an HNSW scan
 * visits `hnsw.ef_search` candidates and filters afterwards, so against one shared index a kind
 * holding 20 % of the rows came back short and fell back to an exact scan of all its rows (the
 * 1 000-session bench spent most of its time there). A search runs one index scan per wanted kind
 * (UNION ALL, merged by distance); each row is still inserted into exactly one index.
 *
 * Other filters (tenant, team, service) still apply after the scan: with pgvector ≥ 0.8 such a
 * search runs with `hnsw.iterative_scan = strict_order` (keeps scanning until `limit` rows pass,
 * in exact distance order); and whenever fewer than `limit` rows come back, the query is repeated
 * as an exact scan (an ORDER BY the index cannot serve), which is cheap precisely in that case
 * because few rows match. A search needing no setting (`limit` within the server's
 * `hnsw.ef_search`, no extra filter) is one statement, without a transaction: under a thousand
 * concurrent sessions the four extra round trips of BEGIN/set_config/COMMIT held a pooled
 * connection each time.
 */
export class PgvectorStore implements VectorStore {
  readonly kind = 'pgvector' as const;
  readonly dimension: number;
  private readonly table: string;
  private readonly now: () => number;
  private readonly hnsw: boolean;
  private iterativeScan = false;
  /** The server's `hnsw.ef_search` (pgvector's default 40): a search asking for more sets it. */
  private efSearchDefault = 40;
  /** PGlite has no autovacuum: rows written since the last ANALYZE, and the row count then. */
  private writesSinceAnalyze = 0;
  private rowsAtAnalyze = 0;

  constructor(
    private readonly db: Database,
    private readonly options: PgvectorStoreOptions,
  ) {
    this.dimension = options.dimension;
    if (!Number.isInteger(this.dimension) || this.dimension < 1 || this.dimension > 16_000) {
      throw new VectorStoreConfigError(`pgvector cannot store ${this.dimension}-dimensional vectors (1..16000)`);
    }
    this.table = options.table ?? 'memory_vectors';
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(this.table)) throw new VectorStoreConfigError(`invalid vector table name ${this.table}`);
    this.now = options.now ?? Date.now;
    this.hnsw = options.hnsw !== false && this.dimension <= HNSW_MAX_DIMENSION;
  }

  async init(): Promise<void> {
    const available = await this.db.query("select 1 from pg_available_extensions where name = 'vector'");
    if (available.length === 0) {
      throw new VectorStoreConfigError(
        'VECTOR_STORE=pgvector, but this Postgres server has no pgvector extension (pg_available_extensions has no "vector"). ' +
          'Install pgvector on the server (e.g. the postgresql-15-pgvector package), or set QDRANT_URL and VECTOR_STORE=qdrant.',
      );
    }
    await this.db.transaction(async (tx) => {
      await tx.query('select pg_advisory_xact_lock($1)', [INIT_LOCK_KEY]);
      await tx.exec('create extension if not exists vector');
      await this.checkExistingDimension(tx);
      await tx.exec(`
        create table if not exists ${this.table} (
          id uuid primary key, tenant text not null, team text, service text, kind text not null, session_id text,
          text text not null, importance double precision not null, created_at bigint not null, expires_at bigint not null,
          embedding vector(${this.dimension}) not null
        );
        create index if not exists ${this.table}_filter on ${this.table} (tenant, kind);
        create index if not exists ${this.table}_expiry on ${this.table} (expires_at);
        create index if not exists ${this.table}_session on ${this.table} (session_id);
      `);
      if (this.hnsw) {
        // Tables made before the per-kind indexes had one index over every row: replaced (once).
        await tx.exec(`drop index if exists ${this.table}_hnsw`);
        for (const kind of MemoryKind.options) {
          await tx.exec(
            `create index if not exists ${this.table}_hnsw_${kindSlug(kind)} on ${this.table} using hnsw (embedding vector_cosine_ops) where kind = ${kindLiteral(kind)}`,
          );
        }
      }
    });
    const ext = await this.db.query<{ extversion: string }>("select extversion from pg_extension where extname = 'vector'");
    this.iterativeScan = versionAtLeast(ext[0]?.extversion ?? '0', 0, 8);
    if (this.hnsw) {
      // The GUC exists once the library is loaded (the index creation above loaded it here; on
      // another pooled connection `current_setting(…, true)` may be null: keep pgvector's default).
      const [ef] = await this.db.query<{ ef: string | null }>("select current_setting('hnsw.ef_search', true) as ef");
      const parsed = Number.parseInt(ef?.ef ?? '', 10);
      if (Number.isInteger(parsed) && parsed > 0) this.efSearchDefault = parsed;
    }
    await this.analyze();
  }

  /**
   * Planner statistics. Without them (PGlite runs no autovacuum) Postgres guesses that
   * `tenant = $2` matches 0.5% of rows and always prefers a b-tree scan plus an exact sort over the
   * HNSW index: correct, but linear. Run at start-up, after purges, and on PGlite after the table
   * has grown by a fifth (at least 1000 rows) since the last run.
   */
  private async analyze(): Promise<void> {
    await this.db.exec(`analyze ${this.table}`);
    this.writesSinceAnalyze = 0;
    this.rowsAtAnalyze = await this.count();
  }

  private async checkExistingDimension(tx: Queryable): Promise<void> {
    const existing = await tx.query<{ type: string }>(
      `select format_type(a.atttypid, a.atttypmod) as type from pg_attribute a
       where a.attrelid = to_regclass($1) and a.attname = 'embedding' and not a.attisdropped`,
      [this.table],
    );
    const type = existing[0]?.type;
    if (type && type !== `vector(${this.dimension})`) {
      throw new VectorStoreConfigError(`vector table ${this.table} holds ${type}, but the embedder produces vector(${this.dimension}): use another table or re-embed`);
    }
  }

  async upsert(points: readonly VectorPoint[]): Promise<void> {
    for (const p of points) {
      if (p.vector.length !== this.dimension) throw new Error(`vector has dimension ${p.vector.length}, expected ${this.dimension}`);
    }
    // ON CONFLICT cannot touch a row twice in one statement: the last point of an id wins.
    const unique = [...new Map(points.map((p) => [p.id, p])).values()];
    for (let i = 0; i < unique.length; i += UPSERT_BATCH) await this.upsertBatch(unique.slice(i, i + UPSERT_BATCH));
    this.writesSinceAnalyze += unique.length;
    if (this.db.kind === 'pglite' && this.writesSinceAnalyze >= Math.max(1000, this.rowsAtAnalyze / 5)) await this.analyze();
  }

  private async upsertBatch(points: readonly VectorPoint[]): Promise<void> {
    if (points.length === 0) return;
    const params: unknown[] = [];
    const rows = points.map((p) => {
      const b = params.length;
      const pl = p.payload;
      params.push(p.id, pl.tenant, pl.team ?? null, pl.service ?? null, pl.kind, pl.sessionId ?? null, pl.text, pl.importance, pl.createdAt, pl.expiresAt, vectorLiteral(p.vector));
      return `(${Array.from({ length: 10 }, (_, i) => `$${b + i + 1}`).join(', ')}, $${b + 11}::vector)`;
    });
    await this.db.query(
      `insert into ${this.table} (id, tenant, team, service, kind, session_id, text, importance, created_at, expires_at, embedding)
       values ${rows.join(', ')}
       on conflict (id) do update set tenant = excluded.tenant, team = excluded.team, service = excluded.service,
         kind = excluded.kind, session_id = excluded.session_id, text = excluded.text, importance = excluded.importance,
         created_at = excluded.created_at, expires_at = excluded.expires_at, embedding = excluded.embedding`,
      params,
    );
  }

  async search(vector: readonly number[], filter: VectorFilter, limit: number): Promise<VectorHit[]> {
    if (vector.length !== this.dimension) throw new Error(`query vector has dimension ${vector.length}, expected ${this.dimension}`);
    const take = Math.max(0, Math.floor(limit));
    if (take === 0) return [];
    const kinds = [...new Set(filter.kinds && filter.kinds.length > 0 ? filter.kinds : MemoryKind.options)];
    const params: unknown[] = [vectorLiteral(vector), filter.tenant, this.now(), take];
    const where = ['tenant = $2', 'expires_at > $3'];
    if (filter.team !== undefined) where.push(`team = $${params.push(filter.team)}`);
    if (filter.service !== undefined) where.push(`service = $${params.push(filter.service)}`);
    const columns = `id, embedding <=> $1::vector as distance, tenant, team, service, kind, session_id, text, importance, created_at, expires_at`;

    let rows: HitRow[];
    if (this.hnsw) {
      // One scan of each kind's partial index (ORDER BY the bare distance: the only ordering an
      // HNSW index can produce), merged by distance.
      const branch = (kind: MemoryKind) =>
        `(select ${columns} from ${this.table} where kind = ${kindLiteral(kind)} and ${where.join(' and ')} order by embedding <=> $1::vector limit $4)`;
      const sql = kinds.length === 1 ? branch(kinds[0]!) : `select * from (${kinds.map(branch).join(' union all ')}) as hits order by distance, id limit $4`;
      const iterate = this.iterativeScan && (filter.team !== undefined || filter.service !== undefined);
      const ef = take > this.efSearchDefault ? Math.min(1000, take * 2) : undefined;
      if (!iterate && ef === undefined) {
        rows = await this.db.query<HitRow>(sql, params);
      } else {
        rows = await this.db.transaction(async (tx) => {
          if (iterate) await tx.query("select set_config('hnsw.iterative_scan', 'strict_order', true)");
          if (ef !== undefined) await tx.query("select set_config('hnsw.ef_search', $1, true)", [String(ef)]);
          return tx.query<HitRow>(sql, params);
        });
      }
      // Short: either fewer rows match, or the approximate scan gave up early. Exact scan (the
      // expression ordering keeps the HNSW indexes out; the b-tree filter index or a seq scan serves it).
      if (rows.length < take) rows = await this.exactSearch(columns, where, kinds, params);
    } else {
      rows = await this.exactSearch(columns, where, kinds, params);
    }
    return rows.map((r) => ({
      id: r.id,
      score: 1 - Number(r.distance),
      payload: {
        tenant: r.tenant,
        ...(r.team !== null ? { team: r.team } : {}),
        ...(r.service !== null ? { service: r.service } : {}),
        kind: r.kind,
        ...(r.session_id !== null ? { sessionId: r.session_id } : {}),
        text: r.text,
        importance: Number(r.importance),
        createdAt: Number(r.created_at),
        expiresAt: Number(r.expires_at),
      },
    }));
  }

  private exactSearch(columns: string, where: readonly string[], kinds: readonly MemoryKind[], params: readonly unknown[]): Promise<HitRow[]> {
    const all = [...params];
    const kindFilter = kinds.length === MemoryKind.options.length ? [] : [`kind = any($${all.push([...kinds])}::text[])`];
    return this.db.query<HitRow>(`select ${columns} from ${this.table} where ${[...where, ...kindFilter].join(' and ')} order by (embedding <=> $1::vector) + 0, id limit $4`, all);
  }

  async delete(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db.query(`delete from ${this.table} where id = any($1::uuid[])`, [[...ids]]);
  }

  async deleteBySession(sessionId: string): Promise<void> {
    await this.db.query(`delete from ${this.table} where session_id = $1`, [sessionId]);
  }

  async purgeExpired(): Promise<void> {
    await this.db.query(`delete from ${this.table} where expires_at <= $1`, [this.now()]);
    await this.analyze();
  }

  async count(): Promise<number> {
    const rows = await this.db.query<{ n: string | number }>(`select count(*) as n from ${this.table}`);
    return Number(rows[0]?.n ?? 0);
  }

  async close(): Promise<void> {
    if (this.options.ownsDatabase) await this.db.close();
  }
}
