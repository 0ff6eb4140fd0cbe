import { ApplicationFailure, condition, isCancellation } from '@temporalio/workflow';
import { APPROVAL_REJECTION, type ApprovalDecision, type ApprovalSignal } from '../domain/approval';
import { durationToMs } from '../domain/duration';
import { hasAnyRole, type Role } from '../domain/roles';
import type { ApprovalStep } from '../domain/runbook';
import type { ApprovalState, DecisionChannel } from '../domain/runState';
import type { RunRuntime } from './runRuntime';

/**
 * Approval gates: the run waits durably (hours or days) for decisions that arrive as the `approval`
 * signal (Temporal UI, any client) or the `decideApproval` update (API, chat: validated first, so a
 * refused decision never reaches history as accepted).
 */
const DEFAULT_TIMEOUT = '24h';

interface Vote {
  gateId: string;
  decision: 'approve' | 'reject';
  approver: string;
  /** Known when the API verified the token; unknown for a signal typed into the Temporal UI. */
  roles?: readonly Role[];
  comment?: string;
  via: DecisionChannel;
}

export class ApprovalGates {
  private readonly announced = new Set<string>();

  constructor(private readonly rt: RunRuntime) {}

  /** Throws ApplicationFailure (the update's rejection) when the vote may not be cast. */
  validate(vote: Vote): ApprovalState {
    const gate = this.rt.state.approvals.find((g) => g.gateId === vote.gateId);
    if (!gate) {
      throw ApplicationFailure.nonRetryable(`no approval gate "${vote.gateId}" is open in this run`, APPROVAL_REJECTION.unknownGate);
    }
    if (gate.status !== 'pending') {
      throw ApplicationFailure.nonRetryable(`approval gate "${gate.gateId}" is already ${gate.status}`, APPROVAL_REJECTION.alreadyDecided);
    }
    if (gate.fourEyes && vote.approver === this.rt.state.requestedBy) {
      throw ApplicationFailure.nonRetryable(
        `four-eyes: ${vote.approver} requested this run and cannot decide gate "${gate.gateId}"`,
        APPROVAL_REJECTION.forbidden,
      );
    }
    if (vote.roles && !hasAnyRole({ roles: [...vote.roles] }, gate.requiredRoles as Role[])) {
      throw ApplicationFailure.nonRetryable(
        `gate "${gate.gateId}" needs one of the roles ${gate.requiredRoles.join(', ')}`,
        APPROVAL_REJECTION.forbidden,
      );
    }
    if (gate.votes.some((v) => v.approver === vote.approver)) {
      throw ApplicationFailure.nonRetryable(`${vote.approver} already voted on gate "${gate.gateId}"`, APPROVAL_REJECTION.alreadyDecided);
    }
    return gate;
  }

  apply(vote: Vote): ApprovalState {
    const gate = this.validate(vote);
    const at = new Date().toISOString();
    gate.votes.push({ approver: vote.approver, decision: vote.decision, via: vote.via, at, ...(vote.comment ? { comment: vote.comment } : {}) });
    const approvals = gate.votes.filter((v) => v.decision === 'approve').length;
    if (vote.decision === 'reject' || approvals >= gate.requiredCount) {
      gate.status = vote.decision === 'reject' ? 'rejected' : 'approved';
      gate.decidedBy = vote.approver;
      gate.via = vote.via;
      gate.decidedAt = at;
      if (vote.comment) gate.comment = vote.comment;
    }
    return gate;
  }

  /** Signal path: a bad signal cannot be refused, so it is logged and ignored. */
  onSignal(signal: ApprovalSignal, log: (message: string) => void): void {
    if (!signal || typeof signal.gateId !== 'string' || typeof signal.approver !== 'string' || !['approve', 'reject'].includes(signal.decision)) {
      log(`ignored malformed approval signal: ${JSON.stringify(signal)}`);
      return;
    }
    try {
      this.apply({
        gateId: signal.gateId,
        decision: signal.decision,
        approver: signal.approver,
        via: signal.via ?? 'temporal-ui',
        ...(signal.comment ? { comment: String(signal.comment) } : {}),
      });
    } catch (err) {
      log(`ignored approval signal: ${(err as Error).message}`);
    }
  }

  /** Update path: returns once the decision is in the event log, so the caller can read it back. */
  async onUpdate(decision: ApprovalDecision): Promise<ApprovalState> {
    const gate = this.apply({ ...decision, roles: decision.approverRoles });
    if (gate.status !== 'pending') await condition(() => this.announced.has(gate.gateId) || this.rt.finished);
    return gate;
  }

  validateUpdate(decision: ApprovalDecision): void {
    if (!decision || typeof decision.gateId !== 'string' || typeof decision.approver !== 'string') {
      throw ApplicationFailure.nonRetryable('malformed decision', 'InvalidDecision');
    }
    this.validate({ ...decision, roles: decision.approverRoles ?? [] });
  }

  /** The step body of an `approval` step. Resolves when approved; throws when rejected or expired. */
  async await(step: ApprovalStep, message: string | undefined): Promise<ApprovalState> {
    const requestedAt = new Date();
    const timeout = step.timeout ?? DEFAULT_TIMEOUT;
    const gate: ApprovalState = {
      gateId: step.id,
      status: 'pending',
      requiredRoles: step.approvers.roles,
      requiredCount: step.approvers.count,
      fourEyes: step.fourEyes,
      ...(message ? { message } : {}),
      requestedAt: requestedAt.toISOString(),
      expiresAt: new Date(requestedAt.getTime() + durationToMs(timeout)).toISOString(),
      votes: [],
    };
    this.rt.state.approvals.push(gate);
    this.rt.refreshStatus();
    await this.rt.emit([
      {
        type: 'approval.requested',
        key: `approval/${gate.gateId}/requested`,
        data: {
          gateId: gate.gateId,
          roles: gate.requiredRoles,
          count: gate.requiredCount,
          fourEyes: gate.fourEyes,
          expiresAt: gate.expiresAt,
          ...(message ? { message } : {}),
        },
      },
    ]);
    try {
      const decided = await condition(() => gate.status !== 'pending', durationToMs(timeout));
      if (!decided) {
        gate.status = 'expired';
        gate.decidedAt = new Date().toISOString();
      }
    } catch (err) {
      if (isCancellation(err)) gate.status = 'cancelled';
      throw err;
    } finally {
      this.rt.refreshStatus();
    }
    await this.rt.emit([
      {
        type: 'approval.decided',
        key: `approval/${gate.gateId}/decided`,
        data: {
          gateId: gate.gateId,
          status: gate.status,
          decidedBy: gate.decidedBy ?? null,
          via: gate.via ?? null,
          comment: gate.comment ?? null,
          votes: gate.votes,
        },
      },
    ]);
    this.announced.add(gate.gateId);
    if (gate.status !== 'approved') {
      const who = gate.decidedBy ? ` by ${gate.decidedBy}` : '';
      throw ApplicationFailure.nonRetryable(`approval "${gate.gateId}" ${gate.status}${who}`, 'ApprovalNotGranted');
    }
    return gate;
  }
}
