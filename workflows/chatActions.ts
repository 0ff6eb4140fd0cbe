import { CancellationScope, isCancellation, proxyActivities } from '@temporalio/workflow';
import type { ChatActivities } from '../chat/activities/chatActivities';
import type { IncidentProposalAction } from '../chat/activities/incidentActions';
import { noRunInFocus, NOTHING_TO_CONFIRM, proposalQuestion, roleRefusal } from '../chat/answers/templates';
import type { ChatPrincipal, Entity, FollowedRun, IntentType, Proposal, QueuedMessage } from '../chat/model/types';
import { entityValue } from '../chat/nlp/references';
import { hasRole } from '../domain/roles';
import type { ChatRuntime } from './chatRuntime';

/**
 * Mutating actions in a conversation. Nothing here acts on a request alone: a request (or an LLM
 * suggestion) becomes a Proposal in workflow state and a confirmation question; only an explicit
 * "yes" from someone holding the role starts it, through RunClient as that user. Runs started here
 * are followed, and their progress is posted into the chat.
 */
const acts = proxyActivities<ChatActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', maximumInterval: '10s', maximumAttempts: 5 },
});

const follower = proxyActivities<ChatActivities>({
  startToCloseTimeout: '30d',
  heartbeatTimeout: '20s',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});

/** Composing waits for one model call (LLM_TIMEOUT_MS); a retry lands on the same draft id. */
const composing = proxyActivities<ChatActivities>({
  startToCloseTimeout: '3m',
  retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 3 },
});

export type Reply = (text: string, extra?: Record<string, unknown>) => Promise<void>;

export class ChatActions {
  private readonly followers = new Map<string, CancellationScope>();

  constructor(private readonly rt: ChatRuntime) {}

  private runInFocus(entities: readonly Entity[]): string | undefined {
    return entityValue(entities, 'run_id') ?? this.rt.state.focus.find((f) => f.type === 'run_id')?.value;
  }

  /** A start-run request or an LLM suggestion → a proposal awaiting "yes". */
  async propose(msg: QueuedMessage, intent: IntentType, entities: Entity[], reply: Reply, suggestion?: { runbook: string; params: Record<string, unknown> }): Promise<void> {
    if (!hasRole(msg.principal, 'operator')) return reply(roleRefusal('Starting a runbook', 'operator'));
    const prepared = await acts.chatPrepareAction({ intent, entities, ...(suggestion ? { suggestion } : {}) });
    if (!prepared.ok) return reply(prepared.message, { actionRefused: true });
    const proposal: Proposal = {
      id: `p-${msg.turnId}-${this.rt.state.proposals.length + 1}`,
      kind: 'start-run',
      runbook: prepared.runbook,
      params: prepared.params,
      requiredRole: 'operator',
      requestedBy: msg.principal.sub,
      turnId: msg.turnId,
      summary: prepared.summary,
    };
    await this.offer(msg, proposal, reply);
  }

  /**
   * One open proposal at a time: a new one replaces (expires) the old, so "yes" is never
   * ambiguous. The event and the reply carry the whole card: what, on which object, by whom.
   */
  private async offer(msg: QueuedMessage, proposal: Proposal, reply: Reply): Promise<void> {
    const replaced = this.rt.state.proposals[0];
    this.rt.state.proposals = [proposal];
    const { id, turnId: _turnId, ...card } = proposal;
    await this.rt.turnEvent(msg.turnId, 'action.proposed', { proposalId: id, ...card, ...(replaced ? { replaces: replaced.id } : {}) });
    await reply(proposalQuestion(proposal), { proposalId: id, proposal: { id, ...card } });
  }

  /** "approve it" / "reject run-…": the gate it would decide, as a proposal an approver confirms. */
  async proposeDecision(msg: QueuedMessage, entities: Entity[], reply: Reply): Promise<void> {
    if (!hasRole(msg.principal, 'approver')) return reply(roleRefusal('Approving', 'approver'));
    const decision = entityValue(entities, 'decision') === 'reject' ? 'reject' : 'approve';
    const runId = this.runInFocus(entities);
    const principal: ChatPrincipal = { sub: msg.principal.sub, roles: msg.principal.roles };
    const prepared = await acts.chatPrepareDecision({ ...(runId ? { runId } : {}), decision, principal });
    if (!prepared.ok) return reply(prepared.message, { actionRefused: true, ...(prepared.runId ? { runId: prepared.runId } : {}) });
    await this.offer(
      msg,
      {
        id: `p-${msg.turnId}-1`,
        kind: 'decide-gate',
        runId: prepared.runId,
        runbook: prepared.runbook,
        gateId: prepared.gateId,
        decision,
        text: msg.content.slice(0, 200),
        requiredRole: 'approver',
        requestedBy: msg.principal.sub,
        turnId: msg.turnId,
        summary: prepared.summary,
      },
      reply,
    );
  }

  /** Open / note / resolve / remediate an incident: looked up, described, and only proposed. */
  async proposeIncident(msg: QueuedMessage, action: IncidentProposalAction, entities: Entity[], reply: Reply): Promise<void> {
    if (!hasRole(msg.principal, 'operator'))
      return reply(roleRefusal(action === 'create' ? 'Opening an incident' : action === 'remediate' ? 'Starting a remediation' : 'Changing an incident', 'operator'));
    const prepared = await acts.chatPrepareIncident({ action, text: msg.content, entities });
    if (!prepared.ok) return reply(prepared.message, { actionRefused: true });
    const { ok: _ok, ...fields } = prepared;
    await this.offer(msg, { id: `p-${msg.turnId}-1`, ...fields, requiredRole: 'operator', requestedBy: msg.principal.sub, turnId: msg.turnId }, reply);
  }

  async proposeCancel(msg: QueuedMessage, entities: Entity[], reply: Reply): Promise<void> {
    if (!hasRole(msg.principal, 'operator')) return reply(roleRefusal('Cancelling a run', 'operator'));
    const runId = this.runInFocus(entities);
    if (!runId) return reply(noRunInFocus('cancel'));
    const run = this.rt.state.runs.find((r) => r.runId === runId);
    const proposal: Proposal = {
      id: `p-${msg.turnId}-1`,
      kind: 'cancel-run',
      runId,
      requiredRole: 'operator',
      requestedBy: msg.principal.sub,
      turnId: msg.turnId,
      summary: `I will cancel ${run?.runbook ?? 'run'} ${runId}; completed steps will be compensated.`,
    };
    await this.offer(msg, proposal, reply);
  }

  /** "pause the auth deploy" / "resume it": the run in focus, as a proposal an operator confirms. */
  async proposePause(msg: QueuedMessage, action: 'pause' | 'resume', entities: Entity[], reply: Reply): Promise<void> {
    if (!hasRole(msg.principal, 'operator')) return reply(roleRefusal(action === 'pause' ? 'Pausing a run' : 'Resuming a run', 'operator'));
    const runId = this.runInFocus(entities);
    if (!runId) return reply(noRunInFocus(action));
    const run = this.rt.state.runs.find((r) => r.runId === runId);
    const what = `${run?.runbook ?? 'run'} ${runId}`;
    const proposal: Proposal = {
      id: `p-${msg.turnId}-1`,
      kind: action === 'pause' ? 'pause-run' : 'resume-run',
      runId,
      // The user's own words (already redacted) are the reason the run records.
      text: msg.content.slice(0, 500),
      requiredRole: 'operator',
      requestedBy: msg.principal.sub,
      turnId: msg.turnId,
      summary: action === 'pause' ? `I will pause ${what}: running steps finish, no new step starts until it is resumed.` : `I will resume ${what}.`,
    };
    await this.offer(msg, proposal, reply);
  }

  /**
   * "make me a runbook that …": the planner drafts one (runbooks/planner/) and the reply says how an
   * admin starts or promotes it. Saving a draft starts nothing, so there is no proposal to confirm.
   */
  async composeRunbook(msg: QueuedMessage, reply: Reply): Promise<void> {
    if (!hasRole(msg.principal, 'operator')) return reply(roleRefusal('Composing a runbook', 'operator'));
    const out = await composing.chatComposeRunbook({
      sessionId: this.rt.input.sessionId,
      turnId: msg.turnId,
      goal: msg.content,
      principal: { sub: msg.principal.sub, roles: msg.principal.roles },
    });
    return reply(out.text, { composed: out.source, ...(out.draftId ? { draftId: out.draftId, digest: out.digest } : {}) });
  }

  async confirm(msg: QueuedMessage, answer: 'confirm' | 'dismiss', reply: Reply): Promise<void> {
    const proposal = this.rt.state.proposals[0];
    if (!proposal) return reply(NOTHING_TO_CONFIRM);
    // Only whoever asked may answer; the proposal stays open for them.
    if (proposal.requestedBy !== undefined && proposal.requestedBy !== msg.principal.sub) {
      return reply(`Only ${proposal.requestedBy}, who asked for this, can confirm or drop it.`, { actionRefused: true, proposalId: proposal.id });
    }
    if (answer === 'dismiss') {
      this.rt.state.proposals = [];
      await this.rt.turnEvent(msg.turnId, 'action.dismissed', { proposalId: proposal.id, kind: proposal.kind, by: msg.principal.sub });
      return reply(`OK, dropped it. Nothing was ${proposal.kind === 'start-run' || proposal.kind === 'incident-remediate' ? 'started' : 'changed'}.`);
    }
    if (!hasRole(msg.principal, proposal.requiredRole)) return reply(roleRefusal('Confirming this action', proposal.requiredRole));
    this.rt.state.proposals = [];
    await this.rt.turnEvent(msg.turnId, 'action.confirmed', { proposalId: proposal.id, kind: proposal.kind, by: msg.principal.sub });
    if (proposal.kind === 'cancel-run') {
      const result = await acts.chatCancelRun({ runId: proposal.runId! });
      if (result.ok) await this.rt.turnEvent(msg.turnId, 'action.cancelling', { runId: proposal.runId, by: msg.principal.sub });
      return reply(result.text);
    }
    const principal: ChatPrincipal = { sub: msg.principal.sub, roles: msg.principal.roles };
    if (proposal.kind === 'pause-run' || proposal.kind === 'resume-run') {
      const action = proposal.kind === 'pause-run' ? 'pause' : 'resume';
      const result = await acts.chatPauseRun({ runId: proposal.runId!, action, principal, ...(proposal.text ? { reason: proposal.text } : {}) });
      const run = this.rt.state.runs.find((r) => r.runId === proposal.runId);
      if (run && result.status) run.status = result.status;
      // Audited from this event (run.pause / run.resume, surface chat), like action.cancelling.
      if (result.ok)
        await this.rt.turnEvent(msg.turnId, action === 'pause' ? 'action.paused' : 'action.resumed', { proposalId: proposal.id, runId: proposal.runId, by: principal.sub });
      return reply(result.text, { runId: proposal.runId, ...(result.ok ? {} : { actionRefused: true }) });
    }
    if (proposal.kind === 'decide-gate') {
      // The gate's own rules (roles, four-eyes, count) run now, at decision time; a refusal is shown.
      const decision = proposal.decision ?? 'approve';
      const result = await acts.chatDecide({ runId: proposal.runId!, gateId: proposal.gateId!, decision, principal, comment: `via chat: ${proposal.text ?? ''}`.slice(0, 210) });
      if (result.ok) await this.rt.turnEvent(msg.turnId, 'action.decided', { proposalId: proposal.id, runId: result.runId, gateId: result.gateId, decision, by: principal.sub });
      return reply(result.text, { runId: proposal.runId, ...(result.ok ? {} : { actionRefused: true }) });
    }
    if (proposal.kind !== 'start-run') {
      const result = await acts.chatExecuteIncident({ proposal, principal, idempotencyKey: `chat:${this.rt.input.sessionId}:${proposal.id}` });
      if (result.incidentId) {
        this.rt.state.focus = [
          { type: 'incident_id' as const, value: result.incidentId, turn: this.rt.state.turnCounter },
          ...this.rt.state.focus.filter((f) => f.value !== result.incidentId),
        ].slice(0, 20);
      }
      if (!result.ok) return reply(result.text, { actionRefused: true });
      const action = proposal.kind.replace('incident-', '');
      await this.rt.turnEvent(msg.turnId, 'action.incident', {
        proposalId: proposal.id,
        action,
        incidentId: result.incidentId,
        ...(result.runId ? { runId: result.runId } : {}),
        by: principal.sub,
      });
      if (result.runId) await this.track(result.runId, proposal.runbook!, msg, proposal);
      return reply(result.text, { ...(result.incidentId ? { incidentId: result.incidentId } : {}), ...(result.runId ? { runId: result.runId } : {}) });
    }
    const started = await acts.chatStartRun({
      runbook: proposal.runbook!,
      params: proposal.params ?? {},
      principal: { sub: msg.principal.sub, roles: msg.principal.roles },
      idempotencyKey: `chat:${this.rt.input.sessionId}:${proposal.id}`,
    });
    if (!started.ok || !started.runId) return reply(started.text);
    await this.track(started.runId, proposal.runbook!, msg, proposal);
    await reply(started.text, { runId: started.runId });
  }

  /** A run started from a confirmed proposal: in focus, announced, followed. */
  private async track(runId: string, runbook: string, msg: QueuedMessage, proposal: Proposal): Promise<void> {
    const run: FollowedRun = { runId, runbook, status: 'running', pendingGates: [] };
    this.rt.state.runs = [run, ...this.rt.state.runs.filter((r) => r.runId !== run.runId)].slice(0, 10);
    this.rt.state.focus = [
      { type: 'run_id' as const, value: run.runId, turn: this.rt.state.turnCounter },
      ...this.rt.state.focus.filter((f) => f.type !== 'run_id' || f.value !== run.runId),
    ].slice(0, 20);
    // Same command order as before the refactor (event, then follower), so old histories replay.
    await this.rt.turnEvent(msg.turnId, 'action.started', {
      proposalId: proposal.id,
      runId: run.runId,
      runbook: run.runbook,
      params: proposal.params,
      requestedBy: msg.principal.sub,
    });
    this.follow(run);
  }

  async status(entities: Entity[], reply: Reply): Promise<void> {
    const runId = this.runInFocus(entities);
    if (!runId) return reply(noRunInFocus('report on'));
    const status = await acts.chatRunStatus({ runId });
    const run = this.rt.state.runs.find((r) => r.runId === runId);
    if (run && status.status) {
      run.status = status.status;
      run.pendingGates = status.pendingGates;
    }
    await reply(status.text, { runId });
  }

  async decide(msg: QueuedMessage, entities: Entity[], reply: Reply): Promise<void> {
    if (!hasRole(msg.principal, 'approver')) return reply(roleRefusal('Approving', 'approver'));
    const decision = entityValue(entities, 'decision') === 'reject' ? 'reject' : 'approve';
    const runId = this.runInFocus(entities);
    const principal: ChatPrincipal = { sub: msg.principal.sub, roles: msg.principal.roles };
    const result = await acts.chatDecide({ ...(runId ? { runId } : {}), decision, principal, comment: `via chat: ${msg.content.slice(0, 200)}` });
    if (result.ok) await this.rt.turnEvent(msg.turnId, 'action.decided', { runId: result.runId, gateId: result.gateId, decision, by: principal.sub });
    await reply(result.text, result.runId ? { runId: result.runId } : {});
  }

  async incident(msg: QueuedMessage, action: 'create' | 'note' | 'resolve', entities: Entity[], reply: Reply): Promise<void> {
    if (!hasRole(msg.principal, 'operator')) return reply(roleRefusal(action === 'create' ? 'Opening an incident' : 'Changing an incident', 'operator'));
    const result = await acts.chatIncident({ action, text: msg.content, entities, principal: { sub: msg.principal.sub, roles: msg.principal.roles } });
    if (result.incidentId) {
      this.rt.state.focus = [
        { type: 'incident_id' as const, value: result.incidentId, turn: this.rt.state.turnCounter },
        ...this.rt.state.focus.filter((f) => f.value !== result.incidentId),
      ].slice(0, 20);
      if (result.ok) await this.rt.turnEvent(msg.turnId, 'action.incident', { action, incidentId: result.incidentId });
    }
    await reply(result.text);
  }

  /** Posts a run's progress into the chat until it ends; cancelled when the session ends or continues as new. */
  follow(run: FollowedRun): void {
    if (this.followers.has(run.runId)) return;
    const scope = new CancellationScope();
    this.followers.set(run.runId, scope);
    void scope
      .run(() => follower.chatFollowRun({ sessionStreamId: this.rt.streamId, runId: run.runId, runbook: run.runbook }))
      .then(
        (result) => {
          run.status = result.status;
          run.pendingGates = [];
        },
        (err: unknown) => {
          if (!isCancellation(err)) run.status = 'unknown';
        },
      )
      .finally(() => this.followers.delete(run.runId));
  }

  resumeFollowing(): void {
    for (const run of this.rt.state.runs) if (['running', 'waiting_approval'].includes(run.status)) this.follow(run);
  }

  stopFollowing(): void {
    for (const scope of this.followers.values()) scope.cancel();
  }
}
