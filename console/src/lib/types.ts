/**
 * The API's shapes, imported type-only from the modules that define them (zod schemas in domain/,
 * the chat and incident models): never hand-copied. `import type` is erased by the build, so none
 * of that server code (nor zod) reaches the browser bundle.
 */
export type { RunState, StepState, ApprovalState, RunStatus, StepStatus } from '../../../domain/runState';
export type { ParamSpec, RunbookDefinition, Step } from '../../../domain/runbook';
export type { StoredEvent } from '../../../domain/events';
export type { Role } from '../../../domain/roles';
export type { Proposal, ChatSessionState } from '../../../chat/model/types';
export type { IncidentState, Hypothesis, QueryRecord, ProposedAction, Note } from '../../../incidents/types';
export type { IncidentRow } from '../../../incidents/incidentRepository';
export type { PendingApproval } from '../../../api/approvalInbox';
export type { RunPlan, PlannedStep, PlannedGate } from '../../../domain/dryRunPlan';
export type { MeResponse } from './meResponse';

import type { ParamSpec } from '../../../domain/runbook';

/** GET /api/v1/runbooks items (api/deps.ts RunbookSource.list). */
export interface RunbookSummary {
  name: string;
  description: string;
  params: Record<string, ParamSpec>;
  steps: number;
}

/** GET /api/v1/runs items. */
export interface RunSummary {
  runId: string;
  runbook: string;
  status: string;
  requestedBy: string;
  startTime: string;
  closeTime?: string;
}

/** An event as the SSE stream delivers it (`data` is the stored event's data plus seq/type/createdAt). */
export interface StreamEvent {
  seq: number;
  type: string;
  createdAt?: string;
  data: Record<string, unknown>;
}
