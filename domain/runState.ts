import { z } from 'zod';
import { Principal } from './roles';

export const RunStatus = z.enum([
  'running',
  'waiting_approval',
  'compensating',
  'succeeded',
  'failed',
  'cancelled',
]);
export type RunStatus = z.infer<typeof RunStatus>;
export const TERMINAL_RUN_STATUSES: readonly RunStatus[] = ['succeeded', 'failed', 'cancelled'];

export const StepStatus = z.enum(['pending', 'running', 'waiting', 'succeeded', 'failed', 'skipped', 'cancelled', 'compensated']);
export type StepStatus = z.infer<typeof StepStatus>;

export const StepState = z.object({
  id: z.string(),
  type: z.string(),
  status: StepStatus,
  attempts: z.number().int(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  output: z.unknown().optional(),
  error: z.string().optional(),
});
export type StepState = z.infer<typeof StepState>;

/**
 * How a decision reached the run. `temporal-signal`: the `approval` signal (Temporal UI or any
 * Temporal client), whose approver name nobody verified. `temporal-ui` is what signal decisions were
 * recorded as before; it stays so old histories, states and events still parse.
 */
export const DecisionChannel = z.enum(['api', 'chat', 'temporal-signal', 'temporal-ui']);
export type DecisionChannel = z.infer<typeof DecisionChannel>;

export const ApprovalStatus = z.enum(['pending', 'approved', 'rejected', 'expired', 'cancelled']);
export const ApprovalVote = z.object({
  approver: z.string(),
  decision: z.enum(['approve', 'reject']),
  via: DecisionChannel,
  /** True when `approver` is only what a signal's sender typed: no token vouched for it. */
  claimed: z.boolean().optional(),
  comment: z.string().optional(),
  at: z.string(),
});
export const ApprovalState = z.object({
  gateId: z.string(),
  status: ApprovalStatus,
  requiredRoles: z.array(z.string()),
  requiredCount: z.number().int(),
  fourEyes: z.boolean(),
  message: z.string().optional(),
  requestedAt: z.string(),
  expiresAt: z.string(),
  votes: z.array(ApprovalVote),
  /** The decisive vote's author/channel/comment, flattened for API consumers. */
  decidedBy: z.string().optional(),
  via: DecisionChannel.optional(),
  /** The decisive vote's `claimed`: `decidedBy` was typed by a signal's sender, not verified. */
  approverClaimed: z.boolean().optional(),
  comment: z.string().optional(),
  decidedAt: z.string().optional(),
});
export type ApprovalState = z.infer<typeof ApprovalState>;

/** Same JSON from the workflow's `state` query and from GET /api/v1/runs/:runId. */
export const RunState = z.object({
  runId: z.string(),
  runbook: z.string(),
  status: RunStatus,
  params: z.record(z.string(), z.unknown()),
  requestedBy: z.string(),
  parentRunId: z.string().optional(),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  /** What the run is doing or waiting for now, in words. */
  waitingFor: z.string().optional(),
  error: z.string().optional(),
  compensated: z.boolean(),
  steps: z.array(StepState),
  approvals: z.array(ApprovalState),
});
export type RunState = z.infer<typeof RunState>;

/** Input of the `runbookRun` workflow. The definition is validated before the run starts. */
export interface RunInput {
  runId: string;
  /** RunbookDefinition (validated, defaults applied). Typed loosely here to keep this file schema-only. */
  runbook: import('./runbook').RunbookDefinition;
  params: Record<string, unknown>;
  requestedBy: Principal;
  parentRunId?: string;
}
