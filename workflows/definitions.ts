import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ApprovalSignal, DecideApprovalInput } from '../domain/approval';
import type { PauseRequest, PauseSignal, ResumeSignal } from '../domain/pause';
import type { ApprovalState, RunState } from '../domain/runState';

/**
 * Message names shared by workflows, the API and tests. Importing this file pulls in only
 * @temporalio/workflow's define* helpers, which are safe outside the workflow sandbox too.
 */

/**
 * From the Temporal UI ("Send Signal", name `approval`) or any Temporal client. The workflow parses
 * the payload itself (a signal's argument is whatever the sender typed) and records the decision as
 * `temporal-signal` with the approver marked as claimed; refusals become `approval.refused` events.
 */
export const approvalSignal = defineSignal<[ApprovalSignal]>('approval');

/** From the API and chat: validated atomically, so a second decision is refused (HTTP 409). */
export const decideApprovalUpdate = defineUpdate<ApprovalState, [DecideApprovalInput]>('decideApproval');

/**
 * From the Temporal UI or any client: {"by":"<name>","reason":"...","immediate":false}. `by` is
 * recorded as claimed (via `temporal-signal`); a refused signal shows its reason in the details.
 */
export const pauseSignal = defineSignal<[PauseSignal]>('pause');
export const resumeSignal = defineSignal<[ResumeSignal]>('resume');

/** From the API and chat (verified principal): refused with RunNotPausable / RunNotPaused (HTTP 409). Return the run state. */
export const pauseRunUpdate = defineUpdate<RunState, [PauseRequest]>('pauseRun');
export const resumeRunUpdate = defineUpdate<RunState, [PauseRequest]>('resumeRun');

/** The run's state: the same JSON as GET /api/v1/runs/:runId. */
export const stateQuery = defineQuery<RunState>('state');

export const RUNBOOK_RUN_WORKFLOW = 'runbookRun';
