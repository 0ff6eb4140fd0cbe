import { z } from 'zod';
import { DecisionChannel } from './runState';
import { Role } from './roles';

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
  decision: z.enum(['approve', 'reject']),
  approver: signalName('approver'),
  comment: z
    .string()
    .max(2000)
    .refine((v) => !hasControlChars(v, '\n\t'), 'comment must not contain control characters other than newline and tab')
    .optional(),
  via: DecisionChannel.optional(),
});
export type ApprovalSignal = z.infer<typeof ApprovalSignal>;

/** Payload of the `decideApproval` update: identity and roles were verified by the API. */
export const ApprovalDecision = z.object({
  gateId: z.string().min(1),
  decision: z.enum(['approve', 'reject']),
  approver: z.string().min(1),
  approverRoles: z.array(Role),
  comment: z.string().max(2000).optional(),
  via: DecisionChannel,
});
export type ApprovalDecision = z.infer<typeof ApprovalDecision>;

/** Why an update was refused; the API maps each to a status code (404, 409, 403). */
export const APPROVAL_REJECTION = {
  unknownGate: 'ApprovalGateNotFound',
  alreadyDecided: 'ApprovalAlreadyDecided',
  forbidden: 'ApprovalForbidden',
} as const;

/** Why a signal was refused when its payload does not match `ApprovalSignal`. */
export const APPROVAL_SIGNAL_INVALID = 'ApprovalSignalInvalid';
