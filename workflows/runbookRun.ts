import type { RunInput, RunState } from '../domain/runState';
// Placeholder while the real DAG executor is written.
export async function runbookRun(input: RunInput): Promise<RunState> {
  throw new Error(`not implemented: ${input.runId}`);
}
