import { verifyAuditChain } from '../audit/auditLog';
import { redactDatabaseUrl } from '../db/database';
import { openDatabase } from '../db/openDatabase';

/**
 * `npm run audit:verify`: recomputes the audit_log hash chain (DATABASE_URL, or the dev PGlite
 * under DATA_DIR, default .data). Prints `OK <n> rows` and exits 0, or the first broken row and
 * why and exits 1; exit 2 when the database cannot be opened. Read-only apart from migrate().
 */
export async function runAuditVerify(env: NodeJS.ProcessEnv, out: (line: string) => void): Promise<number> {
  const databaseUrl = env.DATABASE_URL || undefined;
  const dataDir = env.DATA_DIR || '.data';
  let db;
  try {
    db = await openDatabase({ ...(databaseUrl ? { databaseUrl } : {}), dataDir });
  } catch (err) {
    out(`audit:verify: cannot open ${databaseUrl ? redactDatabaseUrl(databaseUrl) : `PGlite under ${dataDir}`}: ${(err as Error).message}`);
    return 2;
  }
  try {
    const result = await verifyAuditChain(db, { pageSize: Number(env.AUDIT_VERIFY_PAGE_SIZE) || 1000 });
    if (result.ok) {
      out(`OK ${result.rows} rows; head hash ${result.headHash}`);
      return 0;
    }
    out(`BROKEN at row id ${result.brokenId} (after ${result.rows} good rows): ${result.reason}`);
    return 1;
  } finally {
    await db.close();
  }
}

if (require.main === module) {
  runAuditVerify(process.env, (line) => console.log(line)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err);
      process.exit(2);
    },
  );
}
