import { z } from 'zod';
import { Role } from './roles';

/** What an approver decides on a gate: the one spelling used by the API, chat, signals and run state. */
export const ApprovalDecision = z.enum(['approve', 'reject']);
export type ApprovalDecision = z.infer<typeof ApprovalDecision>;

/**
 * How a decision reached the run. `temporal-signal`: the `approval` signal (Temporal UI or any
 * Temporal client), whose approver name nobody verified. `temporal-ui` is what signal decisions were
 * recorded as before; it stays so old histories, states and events still parse.
 */
export const DecisionChannel = z.enum(['api', 'chat', 'temporal-signal', 'temporal-ui', 'slack', 'mcp']);
export type DecisionChannel = z.infer<typeof DecisionChannel>;

/** C0 controls (NUL, ESC...), DEL and the Unicode line separators; `allowed` lists the ones that may stay. */
function hasControlChars(text: string, allowed = ''): boolean {
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if ((c < 0x20 || c === 0x7f || c === 0x2028 || c === 0x2029) && !allowed.includes(ch)) return true;
  }
  return false;
}

const signalName = (what: string) =>
  z
    .string()
    .min(1)
    .max(200)
    .refine((v) => v.trim() === v && !hasControlChars(v), `${what} must be printable, without control characters or surrounding spaces`);

/**
 * Payload of the `approval` signal, typed by hand in the Temporal UI's "Send Signal" dialog or sent
 * by any Temporal client, e.g. {"gateId":"approve","decision":"approve","approver":"carol","comment":"LGTM"}.
 * Nobody verified the sender: the approver name is recorded as claimed and the channel as
 * `temporal-signal` whatever `via` says (accepted only so payloads copied from the API's records
 * parse). Strict: an unknown field is refused rather than silently dropped.
 */
export const ApprovalSignal = z.strictObject({
  gateId: signalName('gateId'),
  decision: ApprovalDecision,
  approver: signalName('approver'),
  comment: z
    .string()
    .max(2000)
    .refine((v) => !hasControlChars(v, '\n\t'), 'comment must not contain control characters other than newline and tab')
    .optional(),
  via: DecisionChannel.optional(),
  /** The plan digest the sender was shown (`approval.requested`); without it the vote is recorded as unbound. */
  digest: z.string().max(100).optional(),
  /** Values for the gate's declared `inputs` (approve only). */
  inputs: z.record(z.string(), z.unknown()).optional(),
});
export type ApprovalSignal = z.infer<typeof ApprovalSignal>;

/** Payload of the `decideApproval` update: identity and roles were verified by the API. */
export const DecideApprovalInput = z.object({
  gateId: z.string().min(1),
  decision: ApprovalDecision,
  approver: z.string().min(1),
  approverRoles: z.array(Role),
  comment: z.string().max(2000).optional(),
  via: DecisionChannel,
  /** The plan digest the approver was shown; a different one is refused (ApprovalDigestMismatch). */
  digest: z.string().max(100).optional(),
  /** Values for the gate's declared `inputs` (approve only). */
  inputs: z.record(z.string(), z.unknown()).optional(),
});
export type DecideApprovalInput = z.infer<typeof DecideApprovalInput>;

/** Why an update was refused; the API maps each to a status code (404, 409, 403). */
export const APPROVAL_REJECTION = {
  unknownGate: 'ApprovalGateNotFound',
  alreadyDecided: 'ApprovalAlreadyDecided',
  forbidden: 'ApprovalForbidden',
  /** The decision names a plan digest other than the gate's current one (details[0]: { currentDigest }). */
  digestMismatch: 'ApprovalDigestMismatch',
  /** An approval without the gate's required `inputs`, or with values that do not fit their specs. */
  invalidInputs: 'ApprovalInputsInvalid',
} as const;

/** The failure type of a gate that expired with `onTimeout: fail`: fails the run even under continueOnError. */
export const APPROVAL_TIMED_OUT = 'ApprovalTimedOut';

/** Why a signal was refused when its payload does not match `ApprovalSignal`. */
export const APPROVAL_SIGNAL_INVALID = 'ApprovalSignalInvalid';
