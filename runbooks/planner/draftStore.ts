import { z } from 'zod';
import type { Database } from '../../db/database';
import { toJsonb } from '../../db/sanitize';
import { RunbookDefinition } from '../../domain/runbook';

/**
 * The drafts the planner composed (table `runbook_drafts`, plannerMigrations.ts). A draft is data:
 * nothing here starts a run. Its status only moves forward: draft → promoted | discarded.
 */
export const DraftStatus = z.enum(['draft', 'promoted', 'discarded']);
export type DraftStatus = z.infer<typeof DraftStatus>;

export const RunbookDraft = z.object({
  id: z.string(),
  goal: z.string(),
  definition: RunbookDefinition,
  digest: z.string(),
  createdBy: z.string(),
  createdAt: z.string(),
  status: DraftStatus,
  promotedBy: z.string().optional(),
  promotedAt: z.string().optional(),
  /** The catalogue file a promotion wrote (relative to the catalogue directory). */
  promotedFile: z.string().optional(),
});
export type RunbookDraft = z.infer<typeof RunbookDraft>;

interface DraftRow {
  id: string;
  goal: string;
  definition: unknown;
  digest: string;
  created_by: string;
  created_at: Date | string;
  status: string;
  promoted_by: string | null;
  promoted_at: Date | string | null;
  promoted_file: string | null;
}

const iso = (value: Date | string): string => (value instanceof Date ? value : new Date(value)).toISOString();

function fromRow(row: DraftRow): RunbookDraft {
  return {
    id: row.id,
    goal: row.goal,
    // Stored after validation; parsing again applies defaults a stored older shape may lack.
    definition: RunbookDefinition.parse(typeof row.definition === 'string' ? JSON.parse(row.definition) : row.definition),
    digest: row.digest,
    createdBy: row.created_by,
    createdAt: iso(row.created_at),
    status: DraftStatus.parse(row.status),
    ...(row.promoted_by ? { promotedBy: row.promoted_by } : {}),
    ...(row.promoted_at ? { promotedAt: iso(row.promoted_at) } : {}),
    ...(row.promoted_file ? { promotedFile: row.promoted_file } : {}),
  };
}

const COLUMNS = 'id, goal, definition, digest, created_by, created_at, status, promoted_by, promoted_at, promoted_file';

export class DraftStore {
  constructor(private readonly db: Database) {}

  /** Idempotent by id: inserting an id again (a retried activity) returns the stored draft. */
  async insert(draft: Pick<RunbookDraft, 'id' | 'goal' | 'definition' | 'digest' | 'createdBy'>): Promise<RunbookDraft> {
    const [row] = await this.db.query<DraftRow>(
      `insert into runbook_drafts (id, goal, definition, digest, created_by) values ($1, $2, $3::jsonb, $4, $5)
       on conflict (id) do nothing returning ${COLUMNS}`,
      [draft.id, draft.goal, toJsonb(draft.definition), draft.digest, draft.createdBy],
    );
    const stored = row ? fromRow(row) : await this.get(draft.id);
    if (!stored) throw new Error(`draft ${draft.id} was neither inserted nor found`);
    return stored;
  }

  async get(id: string): Promise<RunbookDraft | undefined> {
    const [row] = await this.db.query<DraftRow>(`select ${COLUMNS} from runbook_drafts where id = $1`, [id]);
    return row ? fromRow(row) : undefined;
  }

  /** Newest first; `status` filters. */
  async list(options: { status?: DraftStatus; limit: number }): Promise<RunbookDraft[]> {
    const rows = options.status
      ? await this.db.query<DraftRow>(`select ${COLUMNS} from runbook_drafts where status = $1 order by created_at desc, id limit $2`, [options.status, options.limit])
      : await this.db.query<DraftRow>(`select ${COLUMNS} from runbook_drafts order by created_at desc, id limit $1`, [options.limit]);
    return rows.map(fromRow);
  }

  /** Moves an open draft to promoted / discarded; undefined when it was not open (someone else got there first). */
  async close(id: string, to: { status: 'promoted'; by: string; file: string } | { status: 'discarded'; by: string }): Promise<RunbookDraft | undefined> {
    const [row] = await this.db.query<DraftRow>(
      `update runbook_drafts set status = $2, promoted_by = $3, promoted_at = now(), promoted_file = $4
       where id = $1 and status = 'draft' returning ${COLUMNS}`,
      [id, to.status, to.by, to.status === 'promoted' ? to.file : null],
    );
    return row ? fromRow(row) : undefined;
  }
}
