import { durationToMs } from './duration';
import type { StepExecution } from './runbook';

/**
 * Where an activity-backed step runs. A local activity executes in the worker that runs the
 * workflow task, with its result recorded as a marker: no activity task round trip through the
 * server (≈ 45 ms each on the dev server, against ≈ 2 ms locally). The price is that it holds the
 * workflow task while it runs and its retry backoffs below a minute happen in the worker, so only
 * short steps qualify: http and query actions (their `assert` included) whose timeout is at most
 * LOCAL_STEP_MAX_TIMEOUT. Commands stay remote: they run for minutes, heartbeat their log count
 * and are killed on cancel; child runbooks are workflows, not activities.
 *
 * Pure: used by the workflow (stepActions.ts) and by the validator, so both apply one rule.
 */
export type ActionKind = 'command' | 'http' | 'query' | 'runbook';

/** A step's timeout when it sets none (command, http and query enforce it themselves). */
export const DEFAULT_STEP_TIMEOUT = { command: '10m', http: '60s', query: '30s', runbook: '24h' } as const satisfies Record<ActionKind, string>;

export const LOCAL_STEP_MAX_TIMEOUT = '10s';
export const LOCAL_STEP_MAX_TIMEOUT_MS = durationToMs(LOCAL_STEP_MAX_TIMEOUT);

/** The kinds that may run as local activities. */
function localCapable(kind: ActionKind): kind is 'http' | 'query' {
  return kind === 'http' || kind === 'query';
}

/**
 * true when the action runs as a local activity: an http or query action whose timeout (its own or
 * the default) is at most 10 s, unless the step asks for `execution: remote`. `execution: local` on
 * anything else is refused by the validator (localExecutionProblem); a definition that bypassed it
 * still runs remotely, the safe side.
 */
export function runsAsLocalActivity(kind: ActionKind, timeout: string | undefined, execution: StepExecution | undefined): boolean {
  if (!localCapable(kind) || execution === 'remote') return false;
  return durationToMs(timeout ?? DEFAULT_STEP_TIMEOUT[kind]) <= LOCAL_STEP_MAX_TIMEOUT_MS;
}

/** Why `execution: local` cannot apply to this action, or undefined when it can. `timeout` must be a valid duration or undefined. */
export function localExecutionProblem(kind: ActionKind, timeout: string | undefined): string | undefined {
  if (kind === 'command') {
    return 'command steps always run as remote activities (they may run for minutes, heartbeat and are killed on cancel): remove execution: local';
  }
  if (kind === 'runbook') return 'a runbook step starts a child run (a workflow, not an activity): execution: local does not apply';
  const ms = durationToMs(timeout ?? DEFAULT_STEP_TIMEOUT[kind]);
  if (ms <= LOCAL_STEP_MAX_TIMEOUT_MS) return undefined;
  const what = timeout === undefined ? `without a timeout a ${kind} step may take ${DEFAULT_STEP_TIMEOUT[kind]}` : `this step's timeout is ${timeout}`;
  return `execution: local is for short steps, timeout at most ${LOCAL_STEP_MAX_TIMEOUT} (a local activity holds the workflow task while it runs); ${what}: set a shorter timeout or use execution: remote`;
}
