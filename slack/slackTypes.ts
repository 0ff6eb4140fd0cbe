/**
 * What a Slack request becomes once it is acknowledged: the input of the `slackInteraction`
 * workflow (workflows/slackInteraction.ts). Pure types, imported by workflow code.
 */
export interface SlackMessageWork {
  kind: 'message';
  user: string;
  channel: string;
  /** The message's own ts. */
  ts: string;
  /** The thread the reply goes to: the message's thread, or the message itself when it starts one. Empty for DMs. */
  threadTs: string;
  text: string;
  isDm: boolean;
  /** A thread reply without a mention: handled only when this user already has a session in the thread. */
  onlyKnownThread?: boolean;
}

export interface SlackGateWork {
  kind: 'gate';
  decision: 'approve' | 'reject';
  user: string;
  channel: string;
  runId: string;
  /** Undefined: the run's only pending gate (slash command without a gate). */
  gateId?: string;
  digest?: string;
  /** Where the refusal goes when there is no channel to post an ephemeral in. */
  responseUrl?: string;
  /** The interaction's own key, for the audit row's dedupe. */
  key: string;
}

export interface SlackProposalWork {
  kind: 'proposal';
  answer: 'confirm' | 'cancel';
  user: string;
  channel: string;
  messageTs: string;
  sessionId: string;
  proposalId: string;
}

export interface SlackCommandWork {
  kind: 'command';
  user: string;
  channel: string;
  text: string;
  responseUrl: string;
  key: string;
}

/** A click on an incident card, or the note modal's submission. */
export interface SlackIncidentWork {
  kind: 'incident';
  op: 'open-note' | 'note' | 'feedback' | 'remediate';
  user: string;
  channel: string;
  incidentId: string;
  /** open-note: the click's trigger_id (views.open must follow within 3 s). */
  triggerId?: string;
  /** note: the modal's text. */
  text?: string;
  hypothesisId?: string;
  verdict?: 'confirm' | 'reject';
  actionId?: string;
  key: string;
}

export type SlackWork = SlackMessageWork | SlackGateWork | SlackProposalWork | SlackCommandWork | SlackIncidentWork;

export interface ChatTurnResult {
  /** Runs the turn started (a confirmed proposal): followed into the thread. */
  runIds: string[];
}

export interface ProposalAnswerResult {
  /** The chat message that answers the proposal ("yes" / "no"), sent as the clicking user; absent when refused. */
  send?: SlackMessageWork;
}

export type CommandPlan = { kind: 'done' } | { kind: 'gate'; work: SlackGateWork } | { kind: 'chat'; work: SlackMessageWork };

export interface FollowRunInput {
  runId: string;
}

export interface FollowIncidentInput {
  incidentId: string;
}
