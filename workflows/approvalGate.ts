import { ApplicationFailure, CancellationScope, condition, isCancellation, patched } from '@temporalio/workflow';
import type { z } from 'zod';
import { APPROVAL_REJECTION, APPROVAL_SIGNAL_INVALID, ApprovalSignal, type ApprovalDecision } from '../domain/approval';
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

/**
 * Signals parsed with the schema, recorded as `temporal-signal` + claimed, refusals emitted as
 * `approval.refused`. Histories from before it replay the old lenient path: it accepted payloads
 * the schema refuses, and a different accept/refuse would change the run's commands.
 */
export const SIGNAL_CHECKED_PATCH = 'approval-signal-checked';

/** What a refused signal claimed, cut and made printable: it goes into events and the UI's details. */
interface Claim {
  gateId: string | null;
  approver: string | null;
}

interface Vote {
  gateId: string;
  decision: 'approve' | 'reject';
  approver: string;
  /** Known when the API verified the token; unknown for a signal typed into the Temporal UI. */
  roles?: readonly Role[];
  comment?: string;
  via: DecisionChannel;
  /** The approver name is the sender's claim (a signal), not a verified identity. */
  claimed?: boolean;
}

export class ApprovalGates {
  private readonly announced = new Set<string>();
  private refusals = 0;
  /** Refusal events are appended one after another, in the order the signals arrived. */
  private refusalQueue: Promise<void> = Promise.resolve();

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
    gate.votes.push({
      approver: vote.approver,
      decision: vote.decision,
      via: vote.via,
      ...(vote.claimed ? { claimed: true } : {}),
      at,
      ...(vote.comment ? { comment: vote.comment } : {}),
    });
    const approvals = gate.votes.filter((v) => v.decision === 'approve').length;
    if (vote.decision === 'reject' || approvals >= gate.requiredCount) {
      gate.status = vote.decision === 'reject' ? 'rejected' : 'approved';
      gate.decidedBy = vote.approver;
      gate.via = vote.via;
      if (vote.claimed) gate.approverClaimed = true;
      gate.decidedAt = at;
      if (vote.comment) gate.comment = vote.comment;
    }
    return gate;
  }

  /**
   * Signal path. A signal cannot be answered, so a refusal is made visible instead: an
   * `approval.refused` event on the run's stream and a line in the Temporal UI's current details.
   * The gate is left as it was.
   */
  async onSignal(payload: unknown, log: (message: string) => void): Promise<void> {
    if (!patched(SIGNAL_CHECKED_PATCH)) return this.onLegacySignal(payload as LegacySignal, log);
    const parsed = ApprovalSignal.safeParse(payload);
    if (!parsed.success) return this.refuse(claimOf(payload), issuesText(parsed.error), APPROVAL_SIGNAL_INVALID, log);
    const signal = parsed.data;
    try {
      this.apply({
        gateId: signal.gateId,
        decision: signal.decision,
        approver: signal.approver,
        // Whatever the payload says: anyone who can reach Temporal can send it under any name.
        via: 'temporal-signal',
        claimed: true,
        ...(signal.comment ? { comment: signal.comment } : {}),
      });
    } catch (err) {
      if (!(err instanceof ApplicationFailure)) throw err;
      return this.refuse({ gateId: signal.gateId, approver: signal.approver }, err.message, err.type ?? APPROVAL_SIGNAL_INVALID, log);
    }
    this.rt.signalNotice = undefined;
    this.rt.describe();
  }

  private refuse(claim: Claim, reason: string, refusal: string, log: (message: string) => void): Promise<void> {
    const cleanReason = printable(reason, 1000);
    log(`refused approval signal (gate ${claim.gateId ?? '?'}, claimed approver ${claim.approver ?? '?'}): ${cleanReason}`);
    this.rt.signalNotice =
      `Refused \`approval\` signal #${this.refusals + 1} (gate ${inlineCode(claim.gateId ?? '?')}, claimed approver ` +
      `${inlineCode(claim.approver ?? '?')}): ${inlineCode(cleanReason)}. The gate is unchanged.`;
    this.rt.describe();
    const key = `approval/refused/${++this.refusals}`;
    const data = { gateId: claim.gateId, claimedApprover: claim.approver, via: 'temporal-signal', refusal, reason: cleanReason };
    // Not cancellable: cancelling the run must not lose the record of a refusal, and a failed emit
    // must not fail the run from inside a signal handler.
    const emit = () =>
      CancellationScope.nonCancellable(() => this.rt.emit([{ type: 'approval.refused', key, data }])).catch((err: unknown) =>
        log(`approval.refused event not stored: ${(err as Error).message}`),
      );
    this.refusalQueue = this.refusalQueue.then(emit);
    return this.refusalQueue;
  }

  /** Before SIGNAL_CHECKED_PATCH: hand-written checks, refusals only logged. Kept verbatim for replay. */
  private onLegacySignal(signal: LegacySignal, log: (message: string) => void): void {
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
          requestedAt: gate.requestedAt,
          decidedBy: gate.decidedBy ?? null,
          via: gate.via ?? null,
          approverClaimed: gate.approverClaimed ?? false,
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

/** The shape the pre-patch code assumed (and did not check). */
type LegacySignal = Omit<ApprovalSignal, 'via'> & { via?: DecisionChannel };

/** Control characters replaced, cut to `max`: claimed text goes into events (Postgres refuses NUL) and the UI. */
function printable(text: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, '\ufffd');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

function claimOf(payload: unknown): Claim {
  const field = (name: string) => {
    const value = payload && typeof payload === 'object' ? (payload as Record<string, unknown>)[name] : undefined;
    return typeof value === 'string' ? printable(value, 200) : null;
  };
  return { gateId: field('gateId'), approver: field('approver') };
}

function issuesText(error: z.ZodError): string {
  return `malformed signal: ${error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(payload)'}: ${i.message}`).join('; ')}`;
}

/** A markdown code span for the UI's details: claimed text cannot close it or add markup. */
function inlineCode(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}
