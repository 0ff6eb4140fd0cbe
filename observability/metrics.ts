import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Every metric the copilot exports, defined once (names are a contract with the dashboard and the
 * alert rules in deploy/, which a test checks against a real scrape). One registry per process:
 * in dev mode the API and the worker share a process and therefore one /metrics.
 * Label values are bounded sets (route templates, runbook names from the catalogue, step types,
 * provider names); never ids, so cardinality stays flat however many runs there are.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'copilot_process_' });

const registers = [registry];
const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const LONG_SECONDS = [1, 5, 15, 30, 60, 300, 900, 1800, 3600, 4 * 3600, 12 * 3600, 24 * 3600, 3 * 24 * 3600];

export const httpRequestDuration = new Histogram({
  name: 'copilot_http_request_duration_seconds',
  help: 'HTTP requests answered by the API, by method, route template and status',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: SECONDS,
  registers,
});

export const runsStarted = new Counter({
  name: 'copilot_runs_started_total',
  help: 'Runbook runs started, by runbook',
  labelNames: ['runbook'] as const,
  registers,
});

export const runsFinished = new Counter({
  name: 'copilot_runs_finished_total',
  help: 'Runbook runs finished, by runbook and final status (succeeded, failed, cancelled)',
  labelNames: ['runbook', 'status'] as const,
  registers,
});

export const runDuration = new Histogram({
  name: 'copilot_run_duration_seconds',
  help: 'Wall time of finished runs from run.started to the terminal event, gates included',
  labelNames: ['runbook', 'status'] as const,
  buckets: LONG_SECONDS,
  registers,
});

export const stepDuration = new Histogram({
  name: 'copilot_step_duration_seconds',
  help: 'Duration of one step attempt, by step type and outcome (succeeded, retrying, failed)',
  labelNames: ['type', 'outcome'] as const,
  buckets: SECONDS,
  registers,
});

export const approvalWait = new Histogram({
  name: 'copilot_approval_wait_seconds',
  help: 'Time an approval gate waited for its decision, by outcome (approved, rejected, expired, cancelled)',
  labelNames: ['outcome'] as const,
  buckets: LONG_SECONDS,
  registers,
});

export const approvalGateExpiry = new Gauge({
  name: 'copilot_approval_gate_expiry_timestamp_seconds',
  help: 'Unix time at which each open approval gate expires, set when the gate opens and removed when it is decided',
  labelNames: ['run_id', 'gate'] as const,
  registers,
});

export const sseClients = new Gauge({
  name: 'copilot_sse_clients',
  help: 'Open SSE streams on this API replica',
  registers,
});

export const sseStreamsDropped = new Counter({
  name: 'copilot_sse_streams_dropped_total',
  help: 'SSE streams the API closed itself, by reason (slow-client: more unread bytes than SSE_MAX_BUFFERED_BYTES)',
  labelNames: ['reason'] as const,
  registers,
});

export const fanoutLag = new Histogram({
  name: 'copilot_event_fanout_lag_seconds',
  help: "Delay from an event being stored to its delivery to this replica's SSE subscribers",
  buckets: SECONDS,
  registers,
});

export const llmCalls = new Counter({
  name: 'copilot_llm_calls_total',
  help: 'LLM calls, by provider, model and outcome (ok or the error kind)',
  labelNames: ['provider', 'model', 'outcome'] as const,
  registers,
});

export const llmTokens = new Counter({
  name: 'copilot_llm_tokens_total',
  help: 'LLM tokens, by provider, model and direction (input, output)',
  labelNames: ['provider', 'model', 'direction'] as const,
  registers,
});

export const llmCost = new Counter({
  name: 'copilot_llm_cost_usd_total',
  help: 'LLM spend in USD at the configured LLM_PRICES, by model',
  labelNames: ['model'] as const,
  registers,
});

export const llmLatency = new Histogram({
  name: 'copilot_llm_request_duration_seconds',
  help: 'LLM call latency (streaming included), by provider and outcome',
  labelNames: ['provider', 'outcome'] as const,
  buckets: [0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60],
  registers,
});

export const llmBreakerState = new Gauge({
  name: 'copilot_llm_breaker_state',
  help: 'Circuit breaker per LLM provider: 0 closed, 1 half-open, 2 open, 3 isolated',
  labelNames: ['provider'] as const,
  registers,
});

export const cacheLookups = new Counter({
  name: 'copilot_cache_lookups_total',
  help: 'Cache lookups, by cache (understanding, answer) and result (hit, miss)',
  labelNames: ['cache', 'result'] as const,
  registers,
});

export const memoryRetrieval = new Histogram({
  name: 'copilot_memory_retrieval_duration_seconds',
  help: 'Memory retrieval latency per tier (short, medium, long) and outcome (ok, timeout, error)',
  labelNames: ['tier', 'outcome'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
  registers,
});

export const investigationRounds = new Counter({
  name: 'copilot_investigation_rounds_total',
  help: 'Incident investigation rounds completed',
  registers,
});

export const backendQueries = new Counter({
  name: 'copilot_backend_queries_total',
  help: 'Telemetry backend calls (investigations, chat queries, query steps), by backend and outcome (ok or the error kind)',
  labelNames: ['backend', 'outcome'] as const,
  registers,
});
