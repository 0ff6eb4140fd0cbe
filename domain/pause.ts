import { z } from 'zod';
import { Role } from './roles';

/**
 * Pausing and resuming a run. A paused run starts no new step; running steps finish, or (an
 * immediate pause) those marked `restartable` are cancelled and run again on resume.
 * Pure: the workflow parses signal payloads with these schemas.
 */

/** How a pause or resume reached the run: the API (a verified principal), chat, or a Temporal signal (claimed name). */
export const PauseChannel = z.enum(['api', 'chat', 'temporal-signal']);
export type PauseChannel = z.infer<typeof PauseChannel>;

const Reason = z
  .string()
  .min(1, 'must say why')
  .max(500)
  // eslint-disable-next-line no-control-regex
  .refine((v) => !/[\u0000-\u0008\u000b-\u001f\u007f\u2028\u2029]/.test(v), 'must not contain control characters other than newline and tab');

const ClaimedName = z
  .string()
  .min(1)
  .max(200)
  // eslint-disable-next-line no-control-regex
  .refine((v) => v.trim() === v && !/[\u0000-\u001f\u007f\u2028\u2029]/.test(v), 'must be printable, without control characters or surrounding spaces');

/**
 * Payload of the `pause` signal (Temporal UI "Send Signal" or any client), e.g.
 * {"by":"carol","reason":"error budget burning"} or with "immediate":true. Nobody verified `by`:
 * it is recorded as claimed.
 */
export const PauseSignal = z.strictObject({
  by: ClaimedName,
  reason: Reason.optional(),
  immediate: z.boolean().optional(),
});
export type PauseSignal = z.infer<typeof PauseSignal>;

/** Payload of the `resume` signal, e.g. {"by":"carol","reason":"fixed"}. */
export const ResumeSignal = z.strictObject({
  by: ClaimedName,
  reason: Reason.optional(),
});
export type ResumeSignal = z.infer<typeof ResumeSignal>;

/**
 * New values for some of the run's params, given on resume ("resume with parameters"). Checked by
 * the run against its runbook's param specs, merged over the current values; steps not started yet
 * (and restartable steps an immediate pause cancelled, child runs included) render with them, and
 * every open gate re-plans: a changed plan digest drops the votes cast on the old plan.
 */
export const ResumeParams = z.record(z.string().min(1).max(200), z.unknown()).refine((v) => Object.keys(v).length > 0, 'must name at least one param');
export type ResumeParams = z.infer<typeof ResumeParams>;

/** Input of the `pauseRun` / `resumeRun` updates: identity verified by the API (or chat). */
export const PauseRequest = z.object({
  by: z.string().min(1),
  roles: z.array(Role),
  reason: Reason.optional(),
  immediate: z.boolean().optional(),
  via: PauseChannel,
  /** Resume only. */
  params: ResumeParams.optional(),
});
export type PauseRequest = z.infer<typeof PauseRequest>;

/** The body of POST /api/v1/runs/:runId/pause and /resume. */
export const PauseBody = z.strictObject({ reason: Reason });
export const ResumeBody = z.strictObject({ reason: Reason.optional(), params: ResumeParams.optional() });

/** ?immediate=true on /pause. */
export const PauseQuery = z.strictObject({
  immediate: z.enum(['true', 'false'], 'must be "true" or "false"').optional(),
});

/** The run's current pause, in its state while paused (removed on resume). */
export const PauseState = z.object({
  by: z.string(),
  via: PauseChannel,
  /** `by` is what a signal's sender typed, not a verified identity. */
  claimed: z.boolean().optional(),
  reason: z.string().optional(),
  immediate: z.boolean(),
  at: z.string(),
  /** Steps cancelled by an immediate pause that run again on resume. */
  restarting: z.array(z.string()),
});
export type PauseState = z.infer<typeof PauseState>;

/** Why a pause/resume update was refused; the API answers 409 for both. */
export const PAUSE_REJECTION = {
  notRunning: 'RunNotPausable',
  notPaused: 'RunNotPaused',
  /** Resume params that do not fit the runbook's param specs (the API answers 422 naming each field). */
  paramsInvalid: 'RunResumeParamsInvalid',
} as const;
