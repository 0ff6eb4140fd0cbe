import { z } from 'zod';
import { DecisionChannel } from './runState';
import { Role } from './roles';

/**
 * Payload of the `approval` signal, typed by hand in the Temporal UI's "Send Signal" dialog, e.g.
 * {"gateId":"approve","decision":"approve","approver":"carol","comment":"LGTM"}.
 * `via` defaults to "temporal-ui": the API and chat use the `decideApproval` update instead.
 */
export const ApprovalSignal = z.object({
  gateId: z.string().min(1),
  decision: z.enum(['approve', 'reject']),
  approver: z.string().min(1),
  comment: z.string().max(2000).optional(),
  via: DecisionChannel.default('temporal-ui'),
});
export type ApprovalSignal = z.input<typeof ApprovalSignal>;

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
