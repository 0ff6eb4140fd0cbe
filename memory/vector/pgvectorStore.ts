import type { Database } from '../../db/database';
import type { MemoryKind } from '../types';
import { VectorStoreConfigError, type VectorFilter, type VectorHit, type VectorPoint, type VectorStore } from './vectorStore';

export interface PgvectorStoreOptions {
  /** Plain SQL identifier. */
  table?: string;
  dimension: number;
  /** HNSW index for sub-linear search; off makes bulk loads faster (exact scan). */
  hnsw?: boolean;
  now?: () => number;
  /** Close the database with the store (it was opened for it). */
  ownsDatabase?: boolean;
}

interface HitRow {
  id: string;
  score: number;
  tenant: string;
  team: string | null;
  service: string | null;
  kind: MemoryKind;
  session_id: string | null;
  text: string;
  importance: number;
  created_at: string;
  expires_at: string;
}

const vectorLiteral = (v: readonly number[]): string => `[${v.map((x) => (Number.isFinite(x) ? x : 0)).join(',')}]`;

/**
 * pgvector on PGlite (embedded default; PGlite ships the extension) or on a Postgres server that
 * has it. The table is created here, not in shared migrations, because it needs the extension and
 * the embedder's dimension. Times are epoch ms in bigint columns so payloads round-trip exactly.
 */
export class PgvectorStore implements VectorStore {
  readonly kind = 'pgvector' as const;
  readonly dimension: number;
  private readonly table: string;
  private readonly now: () => number;

  constructor(
    private readonly db: Database,
    private readonly options: PgvectorStoreOptions,
  ) {
    this.dimension = options.dimension;
    this.table = options.table ?? 'memory_vectors';
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(this.table)) throw new VectorStoreConfigError(`invalid vector table name ${this.table}`);
    this.now = options.now ?? Date.now;
  }

  async init(): Promise<void> {
    const available = await this.db.query("select 1 from pg_available_extensions where name = 'vector'");
    if (available.length === 0) {
      throw new VectorStoreConfigError(
        'VECTOR_STORE=pgvector, but this Postgres server has no pgvector extension (pg_available_extensions has no "vector"). ' +
          'Install pgvector on the server (e.g. the postgresql-15-pgvector package), or set QDRANT_URL and VECTOR_STORE=qdrant.',
      );
    }
    await this.db.exec('create extension if not exists vector');
    const existing = await this.db.query<{ type: string }>(
      `select format_type(a.atttypid, a.atttypmod) as type from pg_attribute a
       where a.attrelid = to_regclass($1) and a.attname = 'embedding' and not a.attisdropped`,
      [this.table],
    );
    const type = existing[0]?.type;
    if (type && type !== `vector(${this.dimension})`) {
      throw new VectorStoreConfigError(
        `vector table ${this.table} holds ${type}, but the embedder produces vector(${this.dimension}): use another table or re-embed`,
      );
    }
    await this.db.exec(`
      create table if not exists ${this.table} (
        id uuid primary key, tenant text not null, team text, service text, kind text not null, session_id text,
        text text not null, importance real not null, created_at bigint not null, expires_at bigint not null,
        embedding vector(${this.dimension}) not null
      );
      create index if not exists ${this.table}_filter on ${this.table} (tenant, kind);
      create index if not exists ${this.table}_expiry on ${this.table} (expires_at);
      create index if not exists ${this.table}_session on ${this.table} (session_id);
    `);
    if (this.options.hnsw !== false) {
      await this.db.exec(`create index if not exists ${this.table}_hnsw on ${this.table} using hnsw (embedding vector_cosine_ops)`);
    }
  }

  async upsert(points: readonly VectorPoint[]): Promise<void> {
    if (points.length === 0) return;
    const params: unknown[] = [];
    const rows = points.map((p) => {
      if (p.vector.length !== this.dimension) throw new Error(`vector has dimension ${p.vector.length}, expected ${this.dimension}`);
      const b = params.length;
      const pl = p.payload;
      params.push(p.id, pl.tenant, pl.team ?? null, pl.service ?? null, pl.kind, pl.sessionId ?? null, pl.text, pl.importance,
        pl.createdAt, pl.expiresAt, vectorLiteral(p.vector));
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
    const params: unknown[] = [vectorLiteral(vector), filter.tenant, this.now(), limit];
    const where = ['tenant = $2', 'expires_at > $3'];
    if (filter.team !== undefined) where.push(`team = $${params.push(filter.team)}`);
    if (filter.service !== undefined) where.push(`service = $${params.push(filter.service)}`);
    if (filter.kinds && filter.kinds.length > 0) where.push(`kind = any($${params.push([...filter.kinds])}::text[])`);
    const rows = await this.db.query<HitRow>(
      `select id, 1 - (embedding <=> $1::vector) as score, tenant, team, service, kind, session_id, text, importance,
              created_at, expires_at
       from ${this.table} where ${where.join(' and ')} order by embedding <=> $1::vector limit $4`,
      params,
    );
    return rows.map((r) => ({
      id: r.id,
      score: Number(r.score),
      payload: {
        tenant: r.tenant,
        ...(r.team ? { team: r.team } : {}),
        ...(r.service ? { service: r.service } : {}),
        kind: r.kind,
        ...(r.session_id ? { sessionId: r.session_id } : {}),
        text: r.text,
        importance: Number(r.importance),
        createdAt: Number(r.created_at),
        expiresAt: Number(r.expires_at),
      },
    }));
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
  }

  async count(): Promise<number> {
    const rows = await this.db.query<{ n: string }>(`select count(*) as n from ${this.table}`);
    return Number(rows[0]?.n ?? 0);
  }

  async close(): Promise<void> {
    if (this.options.ownsDatabase) await this.db.close();
  }
}
