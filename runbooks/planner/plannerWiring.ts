import type { AppConfig } from '../../config/env';
import type { Database } from '../../db/database';
import { createRouter, type LlmConfig } from '../../llm/routerFromConfig';
import { Redactor } from '../../memory/redaction/redactor';
import { DraftStore } from './draftStore';
import { RunbookPlanner } from './runbookPlanner';
import type { TemplateCatalogue } from './stepTemplates';

/**
 * The planner from configuration, for the API (HTTP, MCP) and the worker (chat's RunbookCompose).
 * It has its own LLM router, so composing never trips the breaker chat turns depend on; without
 * ANTHROPIC_API_KEY / OPENAI_COMPAT_URL it answers on the rules path. Promotions go to RUNBOOKS_DIR.
 */
export type PlannerConfig = LlmConfig & Pick<AppConfig, 'RUNBOOKS_DIR' | 'COMMAND_ALLOWLIST' | 'MEMORY_REDACT_IPS'>;

export function createRunbookPlanner(config: PlannerConfig, db: Database, catalogue: TemplateCatalogue, options: { catalogueDir?: string } = {}): RunbookPlanner {
  const router = createRouter(config);
  return new RunbookPlanner({
    catalogue,
    drafts: new DraftStore(db),
    redactor: new Redactor({ redactIps: config.MEMORY_REDACT_IPS }),
    ...(router.configured ? { router } : {}),
    commandAllowlist: config.COMMAND_ALLOWLIST,
    catalogueDir: options.catalogueDir ?? config.RUNBOOKS_DIR,
  });
}
