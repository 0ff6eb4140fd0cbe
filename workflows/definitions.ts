import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ApprovalDecision, ApprovalSignal } from '../domain/approval';
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
export const decideApprovalUpdate = defineUpdate<ApprovalState, [ApprovalDecision]>('decideApproval');

/** The run's state: the same JSON as GET /api/v1/runs/:runId. */
export const stateQuery = defineQuery<RunState>('state');

export const RUNBOOK_RUN_WORKFLOW = 'runbookRun';
