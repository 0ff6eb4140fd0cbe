import type { Database } from '../../db/database';

/**
 * Implicit preference learning: counts how often a scope (a team, or a user) made the same choice
 * ("format=chart"). `record` returns true exactly once, the first time the count reaches the
 * threshold, so the caller promotes it to a long-term preference once.
 */
export class ChoiceRepository {
  constructor(private readonly db: Database) {}

  async record(tenant: string, scopeKey: string, choice: string, value: string, threshold: number): Promise<boolean> {
    const rows = await this.db.query<{ times: number; promoted: boolean }>(
      `insert into memory_choices (tenant, scope_key, choice, value) values ($1, $2, $3, $4)
       on conflict (tenant, scope_key, choice, value) do update set times = memory_choices.times + 1, last_at = now()
       returning times, promoted`,
      [tenant, scopeKey, choice, value],
    );
    const row = rows[0];
    if (!row || row.promoted || row.times < threshold) return false;
    const claimed = await this.db.query(
      `update memory_choices set promoted = true
       where tenant = $1 and scope_key = $2 and choice = $3 and value = $4 and not promoted returning 1`,
      [tenant, scopeKey, choice, value],
    );
    return claimed.length > 0;
  }
}
