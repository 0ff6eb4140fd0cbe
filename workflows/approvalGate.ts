import { ApplicationFailure, CancellationScope, condition, isCancellation, patched } from '@temporalio/workflow';
import type { z } from 'zod';
import { APPROVAL_REJECTION, APPROVAL_SIGNAL_INVALID, APPROVAL_TIMED_OUT, ApprovalSignal, DecideApprovalInput, type ApprovalDecision } from '../domain/approval';
import { durationToMs } from '../domain/duration';
import { hasAnyRole, type Role } from '../domain/roles';
import { approvalDecidedData, approvalDecidedKey } from '../domain/approvalDecided';
import { approvalDigest, approvalPlan } from '../domain/approvalDigest';
import { resolveParams } from '../domain/runParams';
import type { ApprovalStep } from '../domain/runbook';
import type { TemplateContext } from '../domain/template';
import type { ApprovalState, DecisionChannel } from '../domain/runState';
import type { RunRuntime, WorkflowEvent } from './runRuntime';
import { RUN_FAILURE } from '../domain/failureTypes';

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
/** An approved gate's approval.decided is stored with its step's step.succeeded (one local activity instead of two). */
export const DECIDED_WITH_STEP_PATCH = 'approval-decided-with-step';
/**
 * On top of it: both ride along with the next step's activity, which stores them before its own
 * step.started, and the decision's update answers once it is applied. No local activity stands
 * between the decision and the next step (bench/README.md: approval → next step). The client that
 * sent the update stores approval.decided itself (domain/approvalDecided.ts), so its caller still
 * reads the decision back at once.
 */
export const DECIDED_WITH_NEXT_STEP_PATCH = 'approval-decided-with-next-step';

/** What a refused signal claimed, cut and made printable: it goes into events and the UI's details. */
interface Claim {
  gateId: string | null;
  approver: string | null;
}

interface Vote {
  gateId: string;
  decision: ApprovalDecision;
  approver: string;
  /** Known when the API verified the token; unknown for a signal typed into the Temporal UI. */
  roles?: readonly Role[];
  comment?: string;
  via: DecisionChannel;
  /** The approver name is the sender's claim (a signal), not a verified identity. */
  claimed?: boolean;
  /** The plan digest the decision was made on; absent: unbound. */
  digest?: string;
  /** Values for the gate's `inputs`. */
  inputs?: Record<string, unknown>;
}

export class ApprovalGates {
  private readonly announced = new Set<string>();
  /** Approved gates whose events go with the next step's activity (DECIDED_WITH_NEXT_STEP_PATCH). */
  private readonly carried = new Set<string>();
  private refusals = 0;
  /** Refusal events are appended one after another, in the order the signals arrived. */
  private refusalQueue: Promise<void> = Promise.resolve();

  /** Open gates' definitions: their `inputs` specs are checked on every approval. */
  private readonly steps = new Map<string, ApprovalStep>();

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
      throw ApplicationFailure.nonRetryable(`four-eyes: ${vote.approver} requested this run and cannot decide gate "${gate.gateId}"`, APPROVAL_REJECTION.forbidden);
    }
    // Escalations widen the roles and may name subjects who may decide whatever roles they hold.
    const roles = [...gate.requiredRoles, ...(gate.escalatedRoles ?? [])];
    const named = gate.escalatedSubjects?.includes(vote.approver) ?? false;
    if (vote.roles && !named && !hasAnyRole({ roles: [...vote.roles] }, roles as Role[])) {
      throw ApplicationFailure.nonRetryable(
        `gate "${gate.gateId}" needs one of the roles ${roles.join(', ')}` + (gate.escalatedSubjects?.length ? ` (or to be one of ${gate.escalatedSubjects.join(', ')})` : ''),
        APPROVAL_REJECTION.forbidden,
      );
    }
    if (gate.votes.some((v) => v.approver === vote.approver)) {
      throw ApplicationFailure.nonRetryable(`${vote.approver} already voted on gate "${gate.gateId}"`, APPROVAL_REJECTION.alreadyDecided);
    }
    if (vote.digest !== undefined && gate.digest !== undefined && vote.digest !== gate.digest) {
      throw ApplicationFailure.create({
        message: `gate "${gate.gateId}" now shows plan ${gate.digest}; the decision was made on ${vote.digest}`,
        type: APPROVAL_REJECTION.digestMismatch,
        nonRetryable: true,
        details: [{ currentDigest: gate.digest }],
      });
    }
    if (vote.decision === 'approve') this.resolveInputs(gate, vote);
    return gate;
  }

  /** The approval's input values with defaults applied, or the refusal naming each bad field. */
  private resolveInputs(gate: ApprovalState, vote: Vote): Record<string, unknown> | undefined {
    const specs = this.steps.get(gate.gateId)?.inputs;
    if (!specs || Object.keys(specs).length === 0) return undefined;
    const resolved = resolveParams(specs, vote.inputs ?? {});
    if (!resolved.ok) {
      throw ApplicationFailure.nonRetryable(
        `gate "${gate.gateId}" needs inputs: ${resolved.issues.map((i) => `${i.path.replace(/^params/, 'inputs')}: ${i.message}`).join('; ')}`,
        APPROVAL_REJECTION.invalidInputs,
      );
    }
    return resolved.params;
  }

  apply(vote: Vote): ApprovalState {
    const gate = this.validate(vote);
    const inputs = vote.decision === 'approve' ? this.resolveInputs(gate, vote) : undefined;
    const at = new Date().toISOString();
    gate.votes.push({
      approver: vote.approver,
      decision: vote.decision,
      via: vote.via,
      ...(vote.claimed ? { claimed: true } : {}),
      at,
      ...(vote.comment ? { comment: vote.comment } : {}),
      ...(gate.digest !== undefined ? { bound: vote.digest !== undefined, ...(vote.digest !== undefined ? { digest: vote.digest } : {}) } : {}),
      ...(inputs ? { inputs } : {}),
    });
    const approvals = gate.votes.filter((v) => v.decision === 'approve').length;
    if (vote.decision === 'reject' || approvals >= gate.requiredCount) {
      gate.status = vote.decision === 'reject' ? 'rejected' : 'approved';
      gate.decidedBy = vote.approver;
      gate.via = vote.via;
      if (vote.claimed) gate.approverClaimed = true;
      gate.decidedAt = at;
      if (vote.comment) gate.comment = vote.comment;
      if (inputs) gate.inputs = inputs;
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
    if (!parsed.success) return this.refuse(claimOf(payload), issuesText('signal', parsed.error), APPROVAL_SIGNAL_INVALID, log);
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
        ...(signal.digest !== undefined ? { digest: signal.digest } : {}),
        ...(signal.inputs ? { inputs: signal.inputs } : {}),
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

  /**
   * Update path. Since DECIDED_WITH_NEXT_STEP_PATCH it answers once the decision is applied: it is
   * then in the run's history, and the client stores approval.decided itself. Before, it answered
   * once the workflow had stored it; histories from then replay that way.
   */
  async onUpdate(decision: DecideApprovalInput): Promise<ApprovalState> {
    const gate = this.apply({ ...decision, roles: decision.approverRoles });
    if (gate.status !== 'pending' && !patched(DECIDED_WITH_NEXT_STEP_PATCH)) {
      await condition(() => this.announced.has(gate.gateId) || this.rt.finished);
    }
    return gate;
  }

  /** Whether an approved gate's events (approval.decided, and its step's step.succeeded) ride along with the next step's activity. */
  carriesDecision(gateId: string): boolean {
    return this.carried.has(gateId);
  }

  /**
   * Parsed with the update's own schema: any Temporal client can send an update, not only the API.
   * A validator never runs on replay and a refused update leaves no history, so no patch is needed.
   */
  validateUpdate(decision: DecideApprovalInput): void {
    const parsed = DecideApprovalInput.safeParse(decision);
    if (!parsed.success) throw ApplicationFailure.nonRetryable(issuesText('decision', parsed.error), RUN_FAILURE.invalidDecision);
    this.validate({ ...decision, roles: decision.approverRoles });
  }

  /**
   * Waits for a decision with durable timers: at each `escalate[i].after` the gate widens who may
   * decide (approval.escalated), every `remind` it emits approval.reminder, at `timeout` it expires.
   * Returns whether it was decided.
   */
  private async waitWithTimers(step: ApprovalStep, gate: ApprovalState, openedAt: number, timeoutMs: number): Promise<boolean> {
    const deadline = openedAt + timeoutMs;
    const escalations = [...(step.escalate ?? [])].sort((a, b) => durationToMs(a.after) - durationToMs(b.after));
    const remindMs = step.remind ? durationToMs(step.remind) : undefined;
    let nextReminder = remindMs !== undefined ? openedAt + remindMs : Infinity;
    let level = 0;
    for (;;) {
      const nextEscalation = level < escalations.length ? openedAt + durationToMs(escalations[level]!.after) : Infinity;
      const wakeAt = Math.min(deadline, nextEscalation, nextReminder);
      if (await condition(() => gate.status !== 'pending', Math.max(1, wakeAt - Date.now()))) return true;
      const now = Date.now();
      if (now >= deadline) return false;
      const events: { type: string; key: string; data: Record<string, unknown> }[] = [];
      while (level < escalations.length && now >= openedAt + durationToMs(escalations[level]!.after)) {
        const escalation = escalations[level++]!;
        if ('roles' in escalation.to) gate.escalatedRoles = [...new Set([...(gate.escalatedRoles ?? []), ...escalation.to.roles])];
        else gate.escalatedSubjects = [...new Set([...(gate.escalatedSubjects ?? []), ...escalation.to.subjects])];
        gate.escalations = level;
        events.push({
          type: 'approval.escalated',
          key: `approval/${gate.gateId}/escalated/${level}`,
          data: {
            gateId: gate.gateId,
            level,
            after: escalation.after,
            ...('roles' in escalation.to ? { roles: escalation.to.roles } : { subjects: escalation.to.subjects }),
            notify: escalation.notify,
            digest: gate.digest,
          },
        });
      }
      if (remindMs !== undefined && now >= nextReminder) {
        gate.reminders = (gate.reminders ?? 0) + 1;
        while (nextReminder <= now) nextReminder += remindMs;
        events.push({
          type: 'approval.reminder',
          key: `approval/${gate.gateId}/reminder/${gate.reminders}`,
          data: { gateId: gate.gateId, reminder: gate.reminders, requestedAt: gate.requestedAt, expiresAt: gate.expiresAt, digest: gate.digest },
        });
      }
      this.rt.describe();
      await this.rt.emit(events);
    }
  }

  /**
   * The run's params changed (resume with parameters): each open gate shows its plan again. Where
   * the digest changed, the votes cast so far were made on another plan and no longer count; a
   * decision still naming the old digest is refused like any stale one.
   */
  replan(by: string): WorkflowEvent[] {
    const events: WorkflowEvent[] = [];
    for (const gate of this.rt.state.approvals) {
      const step = this.steps.get(gate.gateId);
      if (gate.status !== 'pending' || !step) continue;
      const plan = approvalPlan(this.rt.input.runbook, this.rt.input.params, step.id, planContext(this.rt.template));
      const digest = approvalDigest(plan);
      if (digest === gate.digest) continue;
      const previousDigest = gate.digest ?? null;
      const invalidated = gate.votes;
      gate.digest = digest;
      gate.votes = [];
      gate.replans = (gate.replans ?? 0) + 1;
      events.push({
        type: 'approval.replanned',
        key: `approval/${gate.gateId}/replanned/${gate.replans}`,
        data: { gateId: gate.gateId, by, previousDigest, digest, plan, invalidatedVotes: invalidated.map((v) => ({ approver: v.approver, decision: v.decision, via: v.via })) },
      });
    }
    if (events.length) this.rt.describe();
    return events;
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
    // What the approver is shown, bound to a digest (pure: replays identically).
    const plan = approvalPlan(this.rt.input.runbook, this.rt.input.params, step.id, planContext(this.rt.template));
    gate.digest = approvalDigest(plan);
    gate.runbookVersion = plan.version;
    gate.guards = plan.steps.map((s) => s.id);
    if (step.inputs && Object.keys(step.inputs).length > 0) gate.inputSpecs = step.inputs;
    this.steps.set(step.id, step);
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
          digest: gate.digest,
          plan,
          ...(gate.inputSpecs ? { inputs: gate.inputSpecs } : {}),
          ...(step.escalate ? { escalate: step.escalate } : {}),
          ...(step.remind ? { remind: step.remind } : {}),
          onTimeout: step.onTimeout ?? 'reject',
        },
      },
    ]);
    try {
      // Gates without escalation or reminders wait exactly as they always did (one timer), so
      // their histories replay; the others wake at each escalation, reminder and the expiry.
      const decided =
        step.escalate?.length || step.remind
          ? await this.waitWithTimers(step, gate, requestedAt.getTime(), durationToMs(timeout))
          : await condition(() => gate.status !== 'pending', durationToMs(timeout));
      if (!decided) {
        gate.decidedAt = new Date().toISOString();
        if (step.onTimeout === 'approve') {
          gate.status = 'approved';
          gate.comment = 'approved on timeout (onTimeout: approve)';
        } else {
          gate.status = 'expired';
        }
      }
    } catch (err) {
      if (isCancellation(err)) gate.status = 'cancelled';
      throw err;
    } finally {
      this.rt.refreshStatus();
    }
    const decidedEvent: WorkflowEvent = {
      type: 'approval.decided',
      key: approvalDecidedKey(gate.gateId),
      data: approvalDecidedData(gate, step.onTimeout ?? 'reject'),
    };
    if (gate.status === 'approved' && patched(DECIDED_WITH_STEP_PATCH)) {
      // Stored by the run's next emit, which is this step's step.succeeded (stepRunner's workflowStep)
      // unless another step emits first: one local activity for both, one round trip less between the
      // decision and the next step starting. Since DECIDED_WITH_NEXT_STEP_PATCH both go with the next
      // step's activity instead (stepRunner defers the step.succeeded too), or are flushed by the DAG
      // when no activity takes them.
      const carry = patched(DECIDED_WITH_NEXT_STEP_PATCH);
      if (carry) this.carried.add(gate.gateId);
      this.rt.defer([decidedEvent], () => this.announced.add(gate.gateId), { carry });
      return gate;
    }
    await this.rt.emit([decidedEvent]);
    this.announced.add(gate.gateId);
    if (gate.status === 'expired' && step.onTimeout === 'fail') {
      // Fails the run even under continueOnError: nobody decided, and the author said that is fatal.
      throw ApplicationFailure.nonRetryable(`approval "${gate.gateId}" timed out (onTimeout: fail)`, APPROVAL_TIMED_OUT);
    }
    if (gate.status !== 'approved') {
      const who = gate.decidedBy ? ` by ${gate.decidedBy}` : '';
      throw ApplicationFailure.nonRetryable(`approval "${gate.gateId}" ${gate.status}${who}`, RUN_FAILURE.approvalNotGranted);
    }
    return gate;
  }
}

/** Env values are configuration (and may be secrets): the plan shows which variable, not its value. */
function planContext(ctx: TemplateContext): TemplateContext {
  return { ...ctx, env: Object.fromEntries(Object.keys(ctx.env).map((name) => [name, `<env.${name}>`])) };
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

function issuesText(what: 'signal' | 'decision', error: z.ZodError): string {
  return `malformed ${what}: ${error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(payload)'}: ${i.message}`).join('; ')}`;
}

/** A markdown code span for the UI's details: claimed text cannot close it or add markup. */
function inlineCode(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}
