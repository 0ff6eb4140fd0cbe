/**
 * The chat vocabulary shared by the workflow, the activities and the API. Pure types and constants:
 * workflows/chat*.ts import this file, so it must never import I/O code.
 */
import type { ApprovalDecision } from '../../domain/approval';

export const INTENT_TYPES = [
  'MetricQuery',
  'LogQuery',
  'TraceQuery',
  'IncidentCreate',
  'IncidentUpdate',
  'IncidentResolve',
  'WorkflowTrigger',
  'WorkflowStatus',
  'WorkflowCancel',
  'TestGenerate',
  'TestExecute',
  'TestCoverage',
  'ServiceHealth',
  'AlertInvestigation',
  'GeneralQuery',
  'Unknown',
  'ApprovalDecision',
  'IncidentRemediate',
  'RunPause',
  'RunResume',
  'RunbookCompose',
] as const;
export type IntentType = (typeof INTENT_TYPES)[number];

export const ENTITY_TYPES = [
  'service',
  'environment',
  'metric',
  'time_range',
  'version',
  'severity',
  'incident_id',
  'run_id',
  'runbook',
  'log_level',
  'status_code',
  'replicas',
  'decision',
  'percentile',
] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];

export interface Intent {
  type: IntentType;
  /** In [0, 1]. Below the session's threshold the copilot asks instead of guessing. */
  confidence: number;
}

export interface Entity {
  type: EntityType;
  /** Normalised value: `production`, `5xx`, `error`, a time range as JSON `{"start","end"}` or `{"duration"}`. */
  value: string;
  /** The words it came from, when it came from the text (absent when resolved from focus). */
  text?: string;
  /** Set when the value was resolved from the session's entities in focus ("it", "that deploy"). */
  fromFocus?: boolean;
}

export type QueryLanguage = 'promql' | 'logql' | 'traceql';

export interface GeneratedQuery {
  language: QueryLanguage;
  query: string;
  /** Parsed with the official grammar; an invalid query is never run. */
  valid: boolean;
  error?: string;
  /** What the query shows, for the answer ("p95 latency of checkout"). */
  description?: string;
  /** Range of the question, epoch ms. */
  start?: number;
  end?: number;
}

export type UnderstandingSource = 'rules' | 'llm' | 'cache';

export interface Understanding {
  intent: Intent;
  entities: Entity[];
  queries: GeneratedQuery[];
  source: UnderstandingSource;
  /** True when the LLM was configured but could not be used (open circuit, 429/529, timeout). */
  degraded: boolean;
  /** Why it was degraded, for logs and the user. */
  degradedReason?: string;
}

/** Something the conversation is about: carried across turns and continue-as-new. */
export interface FocusEntity {
  type: EntityType;
  value: string;
  /** Turn number of the last mention (monotonic within a session). */
  turn: number;
}

export type ProposalKind =
  'start-run' | 'cancel-run' | 'pause-run' | 'resume-run' | 'decide-gate' | 'incident-create' | 'incident-note' | 'incident-resolve' | 'incident-remediate';

/**
 * A mutating action waiting for an explicit "yes" from `requestedBy`, holding `requiredRole` at
 * confirmation time. Fields beyond the common ones depend on `kind`; the card (`summary`) says
 * exactly what will happen with them.
 */
export interface Proposal {
  id: string;
  kind: ProposalKind;
  runbook?: string;
  params?: Record<string, unknown>;
  runId?: string;
  requiredRole: 'operator' | 'approver';
  /** Who asked; only they may confirm. Absent in proposals carried from before the rule. */
  requestedBy?: string;
  /** Turn that proposed it. */
  turnId: string;
  summary: string;
  /** decide-gate: the gate and the decision. */
  gateId?: string;
  decision?: ApprovalDecision;
  /** incident-*: the incident (absent for incident-create until it exists). */
  incidentId?: string;
  /** incident-create: what will be opened. */
  title?: string;
  service?: string;
  severity?: 'critical' | 'high' | 'warning' | 'info';
  /** incident-create description, note text, resolution, or a pause's reason (the user's message, capped). */
  text?: string;
  /** incident-remediate: the incident's proposed action. */
  actionId?: string;
}

export interface FollowedRun {
  runId: string;
  runbook: string;
  status: string;
  /** Pending approval gates announced in the chat. */
  pendingGates: string[];
}

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  calls: number;
}

export interface ChatPrincipal {
  sub: string;
  roles: ('viewer' | 'operator' | 'approver' | 'admin')[];
}

export interface QueuedMessage {
  turnId: string;
  content: string;
  principal: ChatPrincipal;
  at: string;
}

/** The compact state carried through continue-as-new: never the transcript (that is in the event log). */
export interface CarriedState {
  turnCounter: number;
  summary: string[];
  focus: FocusEntity[];
  proposals: Proposal[];
  runs: FollowedRun[];
  usage: TokenUsage;
  queue: QueuedMessage[];
  generation: number;
  startedAt: string;
  /** The previous turn's intent and entities, for "same for payments". */
  last?: { intent: IntentType; entities: Entity[] };
}

export interface ChatSessionOptions {
  /** Continue-as-new after this many turns in one run (also when Temporal suggests it). */
  continueAsNewAfterTurns: number;
  /** Below this intent confidence the copilot asks a clarifying question. */
  confidenceThreshold: number;
  maxMessageChars: number;
  maxQueued: number;
}

export interface ChatSessionInput {
  sessionId: string;
  owner: ChatPrincipal;
  options: ChatSessionOptions;
  carried?: CarriedState;
}

export type SessionStatus = 'active' | 'ended';

/** The `state` query: what GET /api/v1/sessions/:id shows. */
export interface ChatSessionState {
  sessionId: string;
  owner: string;
  status: SessionStatus;
  turns: number;
  /** Turns waiting behind the one being processed. */
  queued: number;
  processing?: string;
  focus: FocusEntity[];
  proposals: Proposal[];
  runs: FollowedRun[];
  summary: string[];
  usage: TokenUsage;
  generation: number;
  startedAt: string;
}

export interface SendMessageInput {
  content: string;
  principal: ChatPrincipal;
}

/** What the sendMessage update returns once the message is queued. */
export interface SendMessageResult {
  turnId: string;
  /** Every event of this turn has a larger seq: where a waiting client starts reading. */
  afterSeq: number;
}

export const DEFAULT_SESSION_OPTIONS: ChatSessionOptions = {
  continueAsNewAfterTurns: 500,
  confidenceThreshold: 0.45,
  maxMessageChars: 4000,
  maxQueued: 50,
};

export const SESSION_PREFIX = 'session-';
export const sessionStreamId = (sessionId: string): string => `${SESSION_PREFIX}${sessionId}`;
export const SESSION_TERMINAL_EVENTS: readonly string[] = ['session.ended'];

/**
 * Intents that change something (or, for AlertInvestigation from an operator, open an
 * investigation). In chat each becomes a Proposal that only an explicit "yes" executes, and none
 * may be read from quoted material (chat/nlp/quoted.ts).
 */
export const ACTING_INTENTS: readonly IntentType[] = [
  'IncidentCreate',
  'IncidentUpdate',
  'IncidentResolve',
  'IncidentRemediate',
  'WorkflowTrigger',
  'WorkflowCancel',
  'RunPause',
  'RunResume',
  'TestGenerate',
  'TestExecute',
  'TestCoverage',
  'ApprovalDecision',
  'AlertInvestigation',
];
