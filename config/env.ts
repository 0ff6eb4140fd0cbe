import { z } from 'zod';
import { McpServersEnv } from '../mcp/serversConfig';

/**
 * Every environment variable the copilot reads, validated once at start-up. A bad or missing value
 * stops the process with a message naming the variable (see loadConfig). Documented in README.md.
 */
const csv = z.string().transform((s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean),
);

const optionalUrl = z.string().url().optional();

/** A poller count, or `auto`: the SDK scales pollers between 1 and 100 on the server's feedback. */
const pollers = z
  .string()
  .regex(/^(auto|[1-9]\d{0,3})$/, 'must be a number of pollers (1-9999) or "auto"')
  .transform((v) => (v === 'auto' ? ('auto' as const) : Number(v)));

export const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('.data'),
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TASK_QUEUE: z.string().min(1).default('copilot'),
  TEMPORAL_UI_URL: z.string().url().default('http://127.0.0.1:8233'),
  /** Unset: embedded PGlite under DATA_DIR (dev only; one process). */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .optional(),
  PROMETHEUS_URL: optionalUrl,
  /** Static tokens: `token=subject:role[+role...]`, comma-separated. */
  /** `token=subject:role[+role…]`, comma-separated; each token at least MIN_STATIC_TOKEN_LENGTH characters (api/auth/staticTokens.ts checks). */
  AUTH_TOKENS: z.string().optional(),
  AUTH_JWT_SECRET: z.string().min(32, 'must be at least 32 characters (HS256)').optional(),
  AUTH_JWKS_URL: optionalUrl,
  AUTH_JWT_ISSUER: z.string().optional(),
  AUTH_JWT_AUDIENCE: z.string().optional(),
  /** Executables a `command` step may run (basename or absolute path). Empty: none. */
  COMMAND_ALLOWLIST: csv.default([]),
  /** Working directory of command steps; relative paths in argv[0] resolve against it. */
  COMMAND_CWD: z.string().default('.'),
  /** The only environment variables a runbook can read as `${{ env.X }}`. */
  RUNBOOK_ENV: csv.default(['DEPLOY_API_URL']),
  RUNBOOKS_DIR: z.string().default('runbooks'),
  /** Hard cap on any step's log output forwarded as events, per attempt. */
  STEP_LOG_MAX_LINES: z.coerce.number().int().min(0).default(1000),
  // Worker tuning (workers/README.md; applied by workers/workerTuning.ts). Unset: the Temporal SDK's defaults.
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce.number().int().min(2).max(10_000).optional(),
  WORKER_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().min(1).max(10_000).optional(),
  WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: z.coerce.number().int().min(1).max(10_000).optional(),
  WORKER_WORKFLOW_TASK_POLLERS: pollers.optional(),
  WORKER_ACTIVITY_TASK_POLLERS: pollers.optional(),
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce
    .number()
    .int()
    .min(0)
    .refine((n) => n !== 1, 'must be 0 (no sticky cache) or at least 2')
    .optional(),
  WORKER_TUNER: z.enum(['fixed', 'resource-based']).default('fixed'),
  /**
   * A workflow bundle prebuilt by `npm run build:workflows` (dist/workflow-bundle.js). Unset: the worker
   * bundles workflows/ with webpack at start-up, which takes seconds and leaves ~200 MB RSS behind.
   */
  WORKFLOW_BUNDLE_PATH: z.string().min(1).optional(),
  WORKER_TUNER_TARGET_MEMORY: z.coerce.number().gt(0).max(1).default(0.8),
  WORKER_TUNER_TARGET_CPU: z.coerce.number().gt(0).max(1).default(0.9),
  SSE_HEARTBEAT_MS: z.coerce.number().int().min(1000).default(15000),
  // Unread bytes one SSE stream may hold before the API drops it (the client resumes with Last-Event-ID).
  SSE_MAX_BUFFERED_BYTES: z.coerce
    .number()
    .int()
    .min(65536)
    .default(1024 * 1024),
  // Memory (memory/README.md).
  MEMORY_SHORT_TTL_SECONDS: z.coerce.number().int().min(1).default(300),
  MEMORY_SHORT_MAX_TURNS: z.coerce.number().int().min(1).max(500).default(20),
  MEMORY_TURN_RETENTION_HOURS: z.coerce.number().positive().default(24),
  MEMORY_SUMMARY_RETENTION_DAYS: z.coerce.number().positive().default(30),
  MEMORY_LONG_TTL_DAYS: z.coerce.number().positive().default(90),
  MEMORY_CONTEXT_BUDGET_TOKENS: z.coerce.number().int().min(256).default(8000),
  MEMORY_TIER_DEADLINE_MS: z.coerce.number().int().min(10).default(250),
  MEMORY_REDACT_IPS: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  MEMORY_IMPLICIT_PREFERENCE_THRESHOLD: z.coerce.number().int().min(2).default(3),
  VECTOR_STORE: z.enum(['pgvector', 'qdrant', 'embedded']).optional(),
  QDRANT_URL: optionalUrl,
  QDRANT_API_KEY: z.string().optional(),
  QDRANT_COLLECTION: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,255}$/, 'letters, digits, _ and - only')
    .default('copilot_memories'),
  EMBEDDER: z.enum(['hashed', 'transformers', 'api']).default('hashed'),
  EMBEDDING_DIM: z.coerce.number().int().min(16).max(4096).default(384),
  EMBEDDER_MODEL_PATH: z.string().optional(),
  EMBEDDER_API_URL: optionalUrl,
  EMBEDDER_API_KEY: z.string().optional(),
  EMBEDDER_API_MODEL: z.string().optional(),
  // Incidents (incidents/README.md). *_AUTH: "bearer:<token>" or "basic:<user>:<password>".
  PROMETHEUS_AUTH: z.string().optional(),
  PROMETHEUS_TENANT: z.string().optional(),
  LOKI_URL: optionalUrl,
  LOKI_AUTH: z.string().optional(),
  LOKI_TENANT: z.string().optional(),
  TEMPO_URL: optionalUrl,
  TEMPO_AUTH: z.string().optional(),
  TEMPO_TENANT: z.string().optional(),
  BACKEND_QUERY_TIMEOUT_MS: z.coerce.number().int().min(100).default(10000),
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  METRICS_HOST: z.string().default('127.0.0.1'),
  TEMPORAL_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  METRICS_STUCK_RUN_AFTER: z
    .string()
    .regex(/^\d+(\.\d+)?(ms|s|m|h|d)$/, 'must be a duration such as "30m" or "2h"')
    .default('2h'),
  RATE_LIMIT_PER_SUBJECT: z.coerce.number().int().min(0).default(1200),
  RATE_LIMIT_PER_IP: z.coerce.number().int().min(0).default(2400),
  RATE_LIMIT_AUTH_FAILURES_PER_IP: z.coerce.number().int().min(0).default(60),
  RATE_LIMIT_WEBHOOK_PER_SOURCE: z.coerce.number().int().min(0).default(600),
  TRUST_PROXY: z.string().optional(),
  ALERTMANAGER_WEBHOOK_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  INCIDENT_RECHECK_INTERVAL: z
    .string()
    .regex(/^\d+(\.\d+)?(ms|s|m|h|d)$/, 'must be a duration such as "30s", "5m" or "1h"')
    .default('5m'),
  INCIDENT_QUERY_BUDGET: z.coerce.number().int().min(10).default(300),
  // LLM tokens (input + output) one investigation may spend over its whole life; then heuristics only.
  INCIDENT_TOKEN_BUDGET: z.coerce.number().int().min(1000).default(200_000),
  // Read-only queries the LLM may run through its tools in one round (0: structured output only).
  INCIDENT_LLM_QUERIES_PER_ROUND: z.coerce.number().int().min(0).max(50).default(6),
  // How long one check may keep iterating (widening its window) before it reports what it has.
  INCIDENT_CHECK_TIME_BUDGET: z
    .string()
    .regex(/^\d+(\.\d+)?(ms|s|m|h|d)$/, 'must be a duration such as "30s", "5m" or "1h"')
    .default('10m'),
  INCIDENT_SCOPE_LABELS: csv.default(['cluster', 'namespace', 'environment']),
  INCIDENT_ENVIRONMENT: z.enum(['staging', 'production']).default('production'),
  INCIDENT_RATE_WINDOW: z
    .string()
    .regex(/^\d+(s|m|h)$/, 'must be a PromQL duration such as "2m"')
    .default('2m'),
  INCIDENT_WEBHOOK_URL: optionalUrl,
  PAGERDUTY_ROUTING_KEY: z.string().optional(),
  PAGERDUTY_EVENTS_URL: z.string().url().default('https://events.pagerduty.com/v2/enqueue'),
  // Chat (chat/README.md). No key: the rule-based engine answers everything.
  ANTHROPIC_API_KEY: z.string().optional(),
  ANTHROPIC_BASE_URL: optionalUrl,
  ANTHROPIC_MODEL: z.string().min(1).default('claude-sonnet-5-5'),
  ANTHROPIC_CHEAP_MODEL: z.string().min(1).optional(),
  OPENAI_COMPAT_URL: optionalUrl,
  OPENAI_COMPAT_API_KEY: z.string().optional(),
  OPENAI_COMPAT_MODEL: z.string().min(1).default('local-model'),
  OPENAI_COMPAT_CHEAP_MODEL: z.string().min(1).optional(),
  LLM_TIMEOUT_MS: z.coerce.number().int().min(100).default(20000),
  /** `model=<input USD per Mtok>/<output USD per Mtok>`, comma-separated; unlisted models cost 0. */
  LLM_PRICES: z
    .string()
    .regex(/^\s*[\w.:-]+=\d+(\.\d+)?\/\d+(\.\d+)?\s*(,\s*[\w.:-]+=\d+(\.\d+)?\/\d+(\.\d+)?\s*)*$/, 'must be model=<in>/<out>[,…] in USD per million tokens')
    .optional(),
  LLM_DAILY_TOKENS_PER_SUBJECT: z.coerce.number().int().min(0).default(1_000_000),
  LLM_BREAKER_THRESHOLD: z.coerce.number().int().min(1).default(3),
  LLM_BREAKER_HALF_OPEN_MS: z.coerce.number().int().min(100).default(30000),
  CHAT_CACHE_TTL_SECONDS: z.coerce.number().int().min(1).default(600),
  /** Answers are about live data: keep them briefly (0 disables). */
  CHAT_ANSWER_CACHE_TTL_SECONDS: z.coerce.number().int().min(0).default(30),
  CHAT_CACHE_MAX_ENTRIES: z.coerce.number().int().min(10).default(5000),
  CHAT_CONFIDENCE_THRESHOLD: z.coerce.number().min(0).max(1).default(0.45),
  CHAT_MAX_MESSAGE_CHARS: z.coerce.number().int().min(100).max(100000).default(4000),
  CHAT_CONTINUE_AS_NEW_TURNS: z.coerce.number().int().min(1).default(500),
  CHAT_STREAM_COALESCE_MS: z.coerce.number().int().min(0).max(1000).default(50),
  CHAT_REPLY_WAIT_MS: z.coerce.number().int().min(100).default(60000),
  // MCP (mcp/README.md). Approving through MCP is off unless an admin turns it on; four-eyes still holds.
  MCP_ALLOW_APPROVALS: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  /** JSON array of external MCP servers (streamable HTTP or stdio) with read-only tool allowlists, for investigations. */
  MCP_SERVERS: McpServersEnv.optional(),
  // Slack (slack/README.md). Enabled when SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN are set; SLACK_APP_TOKEN selects Socket Mode.
  SLACK_SIGNING_SECRET: z.string().min(1).optional(),
  SLACK_BOT_TOKEN: z
    .string()
    .regex(/^xoxb-/, 'must be a bot token (xoxb-…)')
    .optional(),
  SLACK_APP_TOKEN: z
    .string()
    .regex(/^xapp-/, 'must be an app-level token (xapp-…)')
    .optional(),
  /** `SLACKUSERID=subject:role[+role…]`, comma-separated (as AUTH_TOKENS). */
  SLACK_USERS: z.string().optional(),
  /** Role for workspace members in neither SLACK_USERS nor the mapping table; unset: they are refused. */
  SLACK_DEFAULT_ROLE: z.enum(['viewer', 'operator', 'approver']).optional(),
  SLACK_APPROVALS_CHANNEL: z.string().min(1).optional(),
  SLACK_INCIDENTS_CHANNEL: z.string().min(1).optional(),
  /** Web API base (a proxy, GovSlack, or a test's fake). */
  SLACK_API_URL: z.string().url().default('https://slack.com/api/'),
  /** Where console links in Slack messages point (e.g. https://copilot.example.com). */
  SLACK_CONSOLE_URL: optionalUrl,
  /** Streamed replies are edited at most this often (Slack's chat.update is rate-limited per channel). */
  SLACK_EDIT_INTERVAL_MS: z.coerce.number().int().min(200).default(1000),
});
export type AppConfig = z.infer<typeof EnvSchema>;

/**
 * Shortest static token AUTH_TOKENS accepts: shorter ones are guessable. The refusal says how to
 * make a good one, since the obvious first try (`tok1=alice:operator`) is too short.
 */
export const MIN_STATIC_TOKEN_LENGTH = 8;
export const STATIC_TOKEN_TOO_SHORT =
  `the token must be at least ${MIN_STATIC_TOKEN_LENGTH} characters (entries are token=subject:role[+role...]; ` + 'make one with `openssl rand -hex 16`)';

export class ConfigError extends Error {
  constructor(readonly issues: { variable: string; message: string }[]) {
    super('Invalid configuration:\n' + issues.map((i) => `  ${i.variable}: ${i.message}`).join('\n'));
    this.name = 'ConfigError';
  }
}

/** Empty strings count as unset, so `FOO=` in a .env file does not trip validation. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const cleaned: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined && value !== '') cleaned[key] = value;
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => ({ variable: String(issue.path[0] ?? '?'), message: issue.message })));
  }
  if (parsed.data.AUTH_JWT_SECRET && parsed.data.AUTH_JWKS_URL) {
    throw new ConfigError([{ variable: 'AUTH_JWKS_URL', message: 'set AUTH_JWT_SECRET or AUTH_JWKS_URL, not both' }]);
  }
  const tuningIssues = workerTuningIssues(parsed.data);
  if (tuningIssues.length) throw new ConfigError(tuningIssues);
  return parsed.data;
}

/** The SDK's defaults for the task slots, which bound the pollers when the slots are not set. */
const SDK_WORKFLOW_TASK_SLOTS = 40;
const SDK_ACTIVITY_TASK_SLOTS = 100;

/**
 * Combinations of the WORKER_* variables the SDK would silently clamp or refuse at Worker.create:
 * said at start-up instead, naming the variable.
 */
function workerTuningIssues(config: AppConfig): { variable: string; message: string }[] {
  const issues: { variable: string; message: string }[] = [];
  if (config.WORKER_TUNER === 'resource-based') {
    for (const variable of ['WORKER_MAX_CONCURRENT_WORKFLOW_TASKS', 'WORKER_MAX_CONCURRENT_ACTIVITIES', 'WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES'] as const) {
      if (config[variable] !== undefined) issues.push({ variable, message: 'the resource-based tuner sizes task slots itself: unset it or use WORKER_TUNER=fixed' });
    }
    return issues;
  }
  const workflowSlots = config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS ?? SDK_WORKFLOW_TASK_SLOTS;
  const pollers = config.WORKER_WORKFLOW_TASK_POLLERS;
  if (typeof pollers === 'number' && pollers > workflowSlots) {
    issues.push({ variable: 'WORKER_WORKFLOW_TASK_POLLERS', message: `must not exceed WORKER_MAX_CONCURRENT_WORKFLOW_TASKS (${workflowSlots}): a poller needs a free slot` });
  }
  if (typeof pollers === 'number' && pollers < 2) {
    issues.push({ variable: 'WORKER_WORKFLOW_TASK_POLLERS', message: 'must be at least 2 (one for the shared queue, one for the sticky queue) or "auto"' });
  }
  const activityPollers = config.WORKER_ACTIVITY_TASK_POLLERS;
  const activitySlots = config.WORKER_MAX_CONCURRENT_ACTIVITIES ?? SDK_ACTIVITY_TASK_SLOTS;
  if (typeof activityPollers === 'number' && activityPollers > activitySlots) {
    issues.push({ variable: 'WORKER_ACTIVITY_TASK_POLLERS', message: `must not exceed WORKER_MAX_CONCURRENT_ACTIVITIES (${activitySlots}): a poller needs a free slot` });
  }
  const cache = config.WORKER_MAX_CACHED_WORKFLOWS;
  if (cache !== undefined && cache > 0 && config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS !== undefined && config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS > cache) {
    issues.push({
      variable: 'WORKER_MAX_CONCURRENT_WORKFLOW_TASKS',
      message: `must not exceed WORKER_MAX_CACHED_WORKFLOWS (${cache}): every workflow task in progress holds a cached workflow`,
    });
  }
  return issues;
}

/** The values a runbook may see as `env.*`: only RUNBOOK_ENV's names, never the copilot's secrets. */
export function runbookEnv(config: AppConfig, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of config.RUNBOOK_ENV) {
    const value = env[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}
