import { z } from 'zod';
import { ApprovalDecision, DecisionChannel } from './approval';
import { PauseState } from './pause';
import { Principal } from './roles';

export const RunStatus = z.enum([
  'running',
  'waiting_approval',
  /** Paused by an operator (API, chat or the `pause` signal): no new step starts until resumed. */
  'paused',
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
  /** How many times an immediate pause cancelled this (restartable) step so it ran again. */
  restarts: z.number().int().optional(),
});
export type StepState = z.infer<typeof StepState>;

// Defined with the approval schemas; re-exported because run state records the channel of each vote.
export { DecisionChannel };

export const ApprovalStatus = z.enum(['pending', 'approved', 'rejected', 'expired', 'cancelled']);
export const ApprovalVote = z.object({
  approver: z.string(),
  decision: ApprovalDecision,
  via: DecisionChannel,
  /** True when `approver` is only what a signal's sender typed: no token vouched for it. */
  claimed: z.boolean().optional(),
  comment: z.string().optional(),
  at: z.string(),
  /** The plan digest the vote named; `bound: false` when it named none (e.g. a Temporal UI signal). */
  digest: z.string().optional(),
  bound: z.boolean().optional(),
  /** Values supplied for the gate's `inputs`. */
  inputs: z.record(z.string(), z.unknown()).optional(),
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
  /** sha-256 of what the approver is shown (runbook + version, params, guarded steps rendered); decisions may name it. */
  digest: z.string().optional(),
  /** Content hash of the runbook definition the run executes. */
  runbookVersion: z.string().optional(),
  /** Steps this gate guards (need it, directly or transitively). */
  guards: z.array(z.string()).optional(),
  /** Declared `inputs` (param specs) an approval must supply. */
  inputSpecs: z.record(z.string(), z.unknown()).optional(),
  /** The decisive approval's input values (also the gate step's output). */
  inputs: z.record(z.string(), z.unknown()).optional(),
  /** Who may approve beyond `requiredRoles` after escalations. */
  escalatedRoles: z.array(z.string()).optional(),
  escalatedSubjects: z.array(z.string()).optional(),
  escalations: z.number().int().optional(),
  reminders: z.number().int().optional(),
  /** How often a resume with other params changed this gate's plan (each time, the votes so far were dropped). */
  replans: z.number().int().optional(),
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
  /** Present while the run is paused: who paused it, why, and which steps run again on resume. */
  pause: PauseState.optional(),
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
