import { eventDataBytes, MAX_EVENT_DATA_BYTES } from './eventPayload';
import type { NewEvent } from './events';
import type { ApprovalState } from './runState';

/**
 * A gate's `approval.decided` event, defined once for its two writers. The workflow appends it once
 * the gate is decided (workflows/approvalGate.ts). The client that sent a decision by update
 * appends it as soon as the update is answered (temporal/runClient.ts `decide`): the decision is
 * then durable in the run's history, and the caller can read it back without waiting for the
 * workflow's next append. Both use the key RunRuntime gives every run event
 * (`<runId>/approval/<gateId>/decided`) and build the data from the same gate state, so the log
 * holds it once, whichever comes first.
 */
export function approvalDecidedData(gate: ApprovalState, onTimeout: string): Record<string, unknown> {
  return {
    gateId: gate.gateId,
    status: gate.status,
    requestedAt: gate.requestedAt,
    decidedBy: gate.decidedBy ?? null,
    via: gate.via ?? null,
    approverClaimed: gate.approverClaimed ?? false,
    comment: gate.comment ?? null,
    votes: gate.votes,
    digest: gate.digest ?? null,
    bound: gate.votes.find((v) => v.approver === gate.decidedBy)?.bound ?? false,
    ...(gate.inputs ? { inputs: gate.inputs } : {}),
    ...(gate.decidedBy === undefined && gate.status !== 'cancelled' ? { timedOut: true, onTimeout } : {}),
  };
}

/** The key within the run (RunRuntime makes it `<runId>/<key>`). */
export function approvalDecidedKey(gateId: string): string {
  return `approval/${gateId}/decided`;
}

/**
 * The event as a client appends it after its decision was accepted, or undefined while the gate
 * still waits for more votes (nothing was decided) or when it is too big for one event (the
 * workflow then stores it with its oversized fields cut). A decision by update always names its
 * approver, so the timeout fields never apply here.
 */
export function approvalDecidedEvent(runId: string, gate: ApprovalState): NewEvent | undefined {
  if (gate.status !== 'approved' && gate.status !== 'rejected') return undefined;
  const data = { runId, ...approvalDecidedData(gate, 'reject') };
  if (eventDataBytes(data) > MAX_EVENT_DATA_BYTES) return undefined;
  return { type: 'approval.decided', data, dedupeKey: `${runId}/${approvalDecidedKey(gate.gateId)}` };
}
