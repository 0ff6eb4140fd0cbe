import type { Database } from '../db/database';

/**
 * Long-term incident memory: "has this happened before, and what fixed it?". A port, so the Memory
 * module (memory/, built separately) can replace the in-process implementation below with its
 * vector/medium-term store without touching the investigation.
 */
export interface SimilarIncident {
  incidentId: string;
  service?: string;
  title: string;
  rootCause: string;
  fix: string;
  fixWorked?: boolean;
  score: number;
}

/** What a resolved incident leaves behind: the fields a later search returns, plus the text it searches. */
export type IncidentResolution = Omit<SimilarIncident, 'score'> & {
  /** Free text searched later: title, hypotheses, notes. */
  body: string;
};

export interface IncidentMemory {
  findSimilar(text: string, service?: string, limit?: number): Promise<SimilarIncident[]>;
  recordResolution(resolution: IncidentResolution): Promise<void>;
}

/**
 * Postgres full-text search over resolved incidents (`incident_memory`), ranked with ts_rank plus
 * a bonus for the same service; plain ILIKE on the title as a fallback for very short texts.
 * Works on Postgres and PGlite (both ship the `simple` text search configuration).
 */
export class SqlIncidentMemory implements IncidentMemory {
  constructor(private readonly db: Database) {}

  async findSimilar(text: string, service?: string, limit = 3): Promise<SimilarIncident[]> {
    const words = (text.toLowerCase().match(/[a-z0-9]{3,}/g) ?? []).slice(0, 30);
    if (words.length === 0 && !service) return [];
    const tsquery = words.join(' | ');
    const rows = await this.db.query<{
      incident_id: string;
      service: string | null;
      title: string;
      root_cause: string;
      fix: string;
      fix_worked: boolean | null;
      score: number | string;
    }>(
      `select incident_id, service, title, root_cause, fix, fix_worked,
              (case when $1 = '' then 0 else ts_rank(to_tsvector('simple', title || ' ' || body), to_tsquery('simple', $1)) end)
              + (case when $2::text is not null and service = $2 then 0.5 else 0 end) as score
         from incident_memory
        where ($1 <> '' and to_tsvector('simple', title || ' ' || body) @@ to_tsquery('simple', $1))
           or ($2::text is not null and service = $2)
           or ($3 <> '' and title ilike '%' || $3 || '%')
        order by score desc, resolved_at desc limit $4`,
      [tsquery, service ?? null, words[0] ?? '', limit],
    );
    return rows.map((r) => ({
      incidentId: r.incident_id,
      ...(r.service ? { service: r.service } : {}),
      title: r.title,
      rootCause: r.root_cause,
      fix: r.fix,
      ...(r.fix_worked !== null ? { fixWorked: r.fix_worked } : {}),
      score: Number(r.score),
    }));
  }

  async recordResolution(r: IncidentResolution): Promise<void> {
    await this.db.query(
      `insert into incident_memory (incident_id, service, title, root_cause, fix, fix_worked, body) values ($1, $2, $3, $4, $5, $6, $7)
       on conflict (incident_id) do update set root_cause = excluded.root_cause, fix = excluded.fix, fix_worked = excluded.fix_worked, body = excluded.body`,
      [r.incidentId, r.service ?? null, r.title, r.rootCause, r.fix, r.fixWorked ?? null, r.body],
    );
  }
}
