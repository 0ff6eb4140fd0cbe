import { ApplicationFailure } from '@temporalio/common';
import { appendRunEvents } from '../db/runEventAppend';
import type { EventStore, NewEvent } from '../domain/events';
import type { RunbookDefinition } from '../domain/runbook';
import { runCommand, type CommandAction, type CommandPolicy } from './commandStep';
import { sendHttp, type HttpAction } from './httpStep';
import { withPermanentFailures } from './permanentFailures';
import { promInstantQuery } from './promQueryStep';
import { runStepAttempt, type StepActivityInput, type StepActivityResult } from './stepLifecycle';
import { STEP_FAILURE } from '../domain/failureTypes';

export interface ActivityConfig {
  commandAllowlist: readonly string[];
  commandCwd: string;
  /** Values exposed to runbooks as `env.*` (already filtered by RUNBOOK_ENV). */
  runbookEnv: Record<string, string>;
  prometheusUrl?: string;
  stepLogMaxLines: number;
  /** How long an http or query body runs before its step.started is stored alone (stepLifecycle.ts); tests widen it. */
  stepStartedWindowMs?: number;
}

export interface RunbookLookup {
  get(name: string): RunbookDefinition | undefined;
}

export interface ActivityDeps {
  events: EventStore;
  catalogue: RunbookLookup;
  config: ActivityConfig;
}

export interface RunContext {
  env: Record<string, string>;
  backends: Record<string, boolean>;
}

/**
 * Every activity of the runbook engine, closed over its clients so tests can inject real or fake
 * dependencies without module mocking. Activities are at-least-once: each side effect is keyed by
 * run id + step key (+ attempt), see stepLifecycle.ts.
 */
export function createActivities(deps: ActivityDeps) {
  const { events, config } = deps;
  const commandPolicy: CommandPolicy = {
    allowlist: config.commandAllowlist,
    cwd: config.commandCwd,
    maxLogLines: config.stepLogMaxLines,
  };

  const idempotent = { idempotentBody: true, ...(config.stepStartedWindowMs !== undefined ? { startedWindowMs: config.stepStartedWindowMs } : {}) };
  const runContext = (): RunContext => ({ env: { ...config.runbookEnv }, backends: { prometheus: Boolean(config.prometheusUrl) } });

  // Permanent data errors (a refused event, a refused value) fail at once instead of retrying forever.
  return withPermanentFailures({
    /** Workflow-level events (run.*, approval.*, compensation.*, step.failed/skipped). */
    async emitRunEvents(runId: string, batch: NewEvent[]): Promise<void> {
      await appendRunEvents(events, runId, batch);
    },

    /**
     * Does nothing, as an activity task: a run schedules it to end the workflow task that ran its
     * local steps (workflows/stepActions.ts, endLocalStepsTask). The activity's completion starts the
     * next task at once. A 1 ms timer did the same, but the dev server fires timers about 0.8 s late.
     */
    async endWorkflowTask(): Promise<void> {},

    /** Recorded once in history, so a run sees one consistent env for its whole life. */
    async getRunContext(): Promise<RunContext> {
      return runContext();
    },

    /**
     * A run's first local activity: stores `run.started` (usually already there: the API appends it
     * when Temporal accepts the start, domain/runStarted.ts) and returns the run's context, in one
     * round trip through the workflow instead of two (workflows/runbookRun.ts).
     */
    async startRunWithContext(runId: string, batch: NewEvent[]): Promise<RunContext> {
      await events.append(runId, batch);
      return runContext();
    },

    async loadRunbook(name: string): Promise<RunbookDefinition> {
      const definition = deps.catalogue.get(name);
      if (!definition) throw ApplicationFailure.nonRetryable(`runbook "${name}" is not in the catalogue`, STEP_FAILURE.runbookNotFound);
      return definition;
    },

    async commandStep(input: StepActivityInput<CommandAction>): Promise<StepActivityResult> {
      return runStepAttempt(events, input, (attempt) =>
        runCommand(input.action, commandPolicy, {
          events,
          runId: input.runId,
          stepId: input.stepId,
          dedupePrefix: `${input.runId}/${input.stepKey}/${attempt}`,
        }),
      );
    },

    async httpStep(input: StepActivityInput<HttpAction> & { timeoutMs: number }): Promise<StepActivityResult> {
      return runStepAttempt(events, input, () => sendHttp(input.action, `${input.runId}:${input.stepKey}`, input.timeoutMs), idempotent);
    },

    async queryStep(input: StepActivityInput<{ query: string }> & { timeoutMs: number }): Promise<StepActivityResult> {
      return runStepAttempt(events, input, () => promInstantQuery(config.prometheusUrl, input.action.query, input.timeoutMs), idempotent);
    },
  });
}

export type Activities = ReturnType<typeof createActivities>;
