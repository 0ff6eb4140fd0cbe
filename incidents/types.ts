import type { Principal } from '../domain/roles';

/**
 * The incident model shared by the workflow, activities, API and tests. Pure types only: the
 * workflow bundle imports this file. Evidence bodies never live here — only references
 * (`evidenceId`) and short summaries; the bodies are rows in `incident_evidence`.
 */
export type IncidentSeverity = 'critical' | 'high' | 'warning' | 'info';
export type IncidentStatus = 'investigating' | 'monitoring' | 'resolved';
export type IncidentSource = 'alertmanager' | 'api' | 'chat';
/** `mcp`: a tool call on an external MCP server (MCP_SERVERS); the query is `server/tool {arguments}`. */
export type QueryLanguage = 'promql' | 'logql' | 'traceql' | 'sql' | 'memory' | 'mcp';

export interface AlertRef {
  fingerprint: string;
  alertname: string;
  status: 'firing' | 'resolved';
  startsAt: string;
  endsAt?: string;
  labels: Record<string, string>;
  /** The alert expression, recovered from Prometheus' generatorURL (`g0.expr=`). */
  expr?: string;
}

export interface IncidentInput {
  incidentId: string;
  title: string;
  service?: string;
  severity: IncidentSeverity;
  description?: string;
  labels: Record<string, string>;
  source: IncidentSource;
  requestedBy: Principal;
  /** Alertmanager group key; dedupes notifications for the same group. */
  groupKey?: string;
  alerts: AlertRef[];
  startedAt: string;
  /** How often an open incident is re-checked (INCIDENT_RECHECK_INTERVAL). */
  recheckIntervalMs: number;
  /** Environment for proposed runbook params (restart-service, deploy-service). */
  environment: 'staging' | 'production';
  /** Label names copied from the alert into every query selector (cluster, namespace, …). */
  scopeLabels: string[];
  queryLimit: number;
  /** LLM tokens the whole investigation may spend (INCIDENT_TOKEN_BUDGET); absent or 0: not enforced (older inputs). */
  tokenLimit?: number;
  /** Read-only queries the LLM may run through its tools per round (INCIDENT_LLM_QUERIES_PER_ROUND). */
  llmQueriesPerRound?: number;
  /** How long one check may keep iterating (INCIDENT_CHECK_TIME_BUDGET); absent: rounds only. */
  checkTimeLimitMs?: number;
  /** Continue-as-new once history passes this many events (default 5 000; tests set it low). */
  continueAfterEvents?: number;
  /** An LLM provider is configured on the workers: ask it for hypotheses after the heuristics. */
  llmHypotheses?: boolean;
  /** Set by continue-as-new: the compact state to resume from. */
  carried?: IncidentState;
}

export interface QueryRecord {
  evidenceId: string;
  kind: EvidenceKind;
  language: QueryLanguage;
  query: string;
  /** Backend that answered (or failed). */
  backend: string;
  ranAt: string;
  ok: boolean;
  summary: string;
  error?: string;
  /** The range the query covered (ISO; step in seconds for range queries), so it can be re-run as it ran. */
  range?: QueryRange;
  /** How many series / lines / traces / runs it returned (0: it matched nothing); absent on older records. */
  resultCount?: number;
}

export interface QueryRange {
  start: string;
  end: string;
  stepSeconds?: number;
}

/**
 * `metrics`: a PromQL query the LLM ran through its tool (the templates have their own kinds);
 * `discovery`: learning the target's vocabulary (metric names, labels, a service's series);
 * `availability`: a component down (`up`, `redis_up`, `pg_up` = 0, restarts, unavailable replicas).
 */
export type EvidenceKind = 'alert_expr' | 'error_rate' | 'latency' | 'saturation' | 'availability' | 'metrics' | 'logs' | 'traces' | 'deploys' | 'memory' | 'discovery' | 'mcp';

export interface Hypothesis {
  id: string;
  service: string;
  statement: string;
  confidence: number;
  evidence: string[];
  /** Human feedback: confirmed pins the hypothesis, rejected removes it from the ranking. */
  feedback?: 'confirmed' | 'rejected';
  feedbackBy?: string;
  /** Who formed it: the deterministic heuristics or the LLM (absent on histories before the LLM path). */
  source?: 'heuristic' | 'llm';
}

/** What the LLM hypothesis step did in the latest round (absent when no provider is configured). */
export interface LlmHypothesisStatus {
  round: number;
  /**
   * ok: its hypotheses are merged; unavailable: provider error, timeout, open circuit or invalid
   * output; skipped: the investigation's token budget is spent.
   */
  status: 'ok' | 'unavailable' | 'skipped';
  /** Why it was unavailable; the heuristic hypotheses stand. */
  degraded?: string;
  provider?: string;
}

/** Input of the `incidentLlmHypotheses` activity: references and summaries only, never bodies. */
export interface LlmHypothesisRequest {
  incidentId: string;
  round: number;
  title: string;
  service?: string;
  queries: QueryRecord[];
  signals: Signal[];
  hypotheses: Hypothesis[];
  /** The round's window: the query tools run over it (absent on histories before the tools). */
  window?: { start: string; pivot: string; end: string };
  /** Label matchers of the incident's scope, for the model to add to its selectors. */
  scope?: Record<string, string>;
  /** Queries the model may run through its tools in this step (absent or 0: structured output only). */
  queryAllowance?: number;
  /** Tokens this step may spend; absent: not enforced. */
  tokenAllowance?: number;
}

/**
 * What the LLM step did. Tokens and the queries its tools ran count against the incident's budget
 * whether or not it produced hypotheses (both absent in histories before the query tools).
 */
export type LlmHypothesisResult =
  { ok: true; hypotheses: Hypothesis[]; provider: string; tokens: number; queries?: QueryRecord[] } | { ok: false; reason: string; tokens?: number; queries?: QueryRecord[] };

export interface ProposedAction {
  id: string;
  runbook: string;
  params: Record<string, unknown>;
  reason: string;
  /** Set once a human started it through POST .../remediate. */
  runId?: string;
  startedBy?: string;
}

export interface Note {
  author: string;
  text: string;
  at: string;
}

/** How a check ended (heuristics/conclusion.ts): a leading hypothesis, or what was looked for in vain. */
export interface Conclusion {
  result: 'hypotheses' | 'insufficient_evidence';
  top?: { id: string; service: string; confidence: number; statement: string; evidence: string[] };
  /** `<backend>: <query>` of every query that answered (discovery calls aside). */
  searched: string[];
  /** Those that answered with nothing (no series, lines, traces, runs). */
  matchedNothing: string[];
  failed: string[];
  /** Backends not configured or down, services without series, … */
  missing: string[];
  summary: string;
}

export interface IncidentState {
  incidentId: string;
  title: string;
  service?: string;
  severity: IncidentSeverity;
  status: IncidentStatus;
  source: IncidentSource;
  labels: Record<string, string>;
  startedAt: string;
  resolvedAt?: string;
  resolvedBy?: string;
  resolution?: string;
  /** The first human action (note, feedback, remediation) acknowledges the incident. */
  acknowledgedBy?: string;
  acknowledgedAt?: string;
  /** How many times this investigation continued-as-new (its history was renewed). */
  continuations?: number;
  rounds: number;
  rechecks: number;
  hypotheses: Hypothesis[];
  queries: QueryRecord[];
  missing: string[];
  notes: Note[];
  actions: ProposedAction[];
  alerts: AlertRef[];
  budget: { queriesUsed: number; queryLimit: number; tokensUsed: number; tokenLimit: number };
  /** Compact signals behind the hypotheses (capped), carried across continue-as-new. */
  signals: Signal[];
  /** The LLM hypothesis step of the latest round, when a provider is configured. */
  llm?: LlmHypothesisStatus;
  /** How the latest check ended (absent before the first check ended, and on older histories). */
  conclusion?: Conclusion;
  reportReady: boolean;
  /** Bumped on every save, so an older snapshot never overwrites a newer one. */
  version: number;
}

/** One gather activity's answer: references and extracted signals, never the raw body. */
export interface GatherResult {
  queries: QueryRecord[];
  signals: Signal[];
  /** Backends that could not answer (down, circuit open, not configured). */
  missing: string[];
}

/** A fact extracted from evidence that points at a service, with a weight in (0, 1]. */
export interface Signal {
  kind: EvidenceKind;
  service: string;
  weight: number;
  text: string;
  evidenceId: string;
  /** For deploys: the run that may be rolled back. */
  runId?: string;
  runbook?: string;
  /** For deploys: the version deployed before it (what a rollback would redeploy). */
  version?: string;
  /** For trace error origins: the callers whose symptoms this service's failure explains. */
  explains?: string[];
}

export interface GatherRequest {
  incidentId: string;
  round: number;
  /** Investigation window (ISO): the alert start ± the plan's margins. */
  start: string;
  pivot: string;
  end: string;
  service?: string;
  /** Label matchers added to every selector (e.g. cluster, namespace). */
  scope: Record<string, string>;
  alertExprs: string[];
  text: string;
  /** `service` is the incident's own (from the alert or the human), not a hypothesis being followed up. */
  serviceKnown?: boolean;
}
