import globalSetup from '../../test/support/globalSetup';
import globalTeardown from '../../test/support/globalTeardown';
import { labUnavailable } from './lab';
import { runLiveScenarios, type LiveRow } from './liveScenarios';
import { startLiveRig, type LiveRig } from './liveRig';

/**
 * The "Live faults" part of `npm run evals`: the servers the integration tests use (a Temporal dev
 * server, PostgreSQL, the workflow bundle — test/support/globalSetup.ts, the same code), then the
 * rig (one copilot + the lab) and every live scenario in turn. Returns the rows, or why it could
 * not run (a missing Debian package, not root).
 */
export async function runLiveEval(log: (line: string) => void): Promise<{ rows: LiveRow[] } | { skipped: string }> {
  const unavailable = labUnavailable();
  if (unavailable) return { skipped: unavailable };
  let rig: LiveRig | undefined;
  try {
    await globalSetup();
  } catch (err) {
    // One part's servers not starting (the Temporal dev server exited once here under heavy load)
    // must not cost the other parts their figures.
    return { skipped: `the servers did not start: ${(err as Error).message.split('\n')[0]}` };
  }
  try {
    try {
      rig = await startLiveRig();
    } catch (err) {
      return { skipped: `the lab did not start: ${(err as Error).message.split('\n')[0]}` };
    }
    return { rows: await runLiveScenarios(rig.lab, rig.copilot, { log }) };
  } finally {
    await rig?.stop().catch(() => undefined);
    await globalTeardown();
  }
}
