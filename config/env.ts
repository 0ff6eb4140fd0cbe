import { z } from 'zod';

/**
 * Every environment variable the copilot reads, validated once at start-up. A bad or missing value
 * stops the process with a message naming the variable (see loadConfig). Documented in README.md.
 */
const csv = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));

const optionalUrl = z.string().url().optional();

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
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').optional(),
  PROMETHEUS_URL: optionalUrl,
  /** Static tokens: `token=subject:role[+role...]`, comma-separated. */
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
  SSE_HEARTBEAT_MS: z.coerce.number().int().min(1000).default(15000),
});
export type AppConfig = z.infer<typeof EnvSchema>;

export class ConfigError extends Error {
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(
      'Invalid configuration:\n' + issues.map((i) => `  ${i.variable}: ${i.message}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

/** Empty strings count as unset, so `FOO=` in a .env file does not trip validation. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const cleaned: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined && value !== '') cleaned[key] = value;
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({ variable: String(issue.path[0] ?? '?'), message: issue.message })),
    );
  }
  if (parsed.data.AUTH_JWT_SECRET && parsed.data.AUTH_JWKS_URL) {
    throw new ConfigError([{ variable: 'AUTH_JWKS_URL', message: 'set AUTH_JWT_SECRET or AUTH_JWKS_URL, not both' }]);
  }
  return parsed.data;
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
