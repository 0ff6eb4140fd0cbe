import { Command, Option } from 'commander';
import { ApiClient } from './apiClient';
import { chatCommand } from './commands/chat';
import { incidentsCommand } from './commands/incidents';
import { loginCommand } from './commands/login';
import { runbooksCommand } from './commands/runbooks';
import { runsCommand } from './commands/runs';
import { resolveConnection } from './config';
import { mcpCommand } from '../mcp/stdioCommand';
import type { OutputFormat } from './output';

/**
 * The `copilot` program. Each command lives in cli/commands/ as a `CommandModule` and is registered
 * here with one line in COMMANDS; global options (--api-url, --output) are read when a command runs.
 */
export interface CliContext {
  /** A client for the API named by --api-url / COPILOT_API_URL / the stored config, with COPILOT_TOKEN or the stored token. */
  client(): ApiClient;
  output(): OutputFormat;
  /** The global --api-url, if given. */
  apiUrlFlag(): string | undefined;
}

export type CommandModule = (program: Command, ctx: CliContext) => void;

const COMMANDS: readonly CommandModule[] = [loginCommand, runbooksCommand, runsCommand, chatCommand, incidentsCommand, mcpCommand];

export function buildProgram(): Command {
  const program = new Command('copilot')
    .description('The copilot CLI: runbooks, runs and approvals, chat and incidents, from a terminal')
    .addOption(new Option('--api-url <url>', 'copilot API base URL (default: COPILOT_API_URL, then `copilot login`, then http://127.0.0.1:8080)'))
    .addOption(new Option('-o, --output <format>', 'table for people, json for scripts').choices(['table', 'json']).default('table'))
    .showHelpAfterError()
    .configureHelp({ showGlobalOptions: true });
  const ctx: CliContext = {
    client: () => new ApiClient(resolveConnection({ apiUrl: program.opts<{ apiUrl?: string }>().apiUrl })),
    output: () => program.opts<{ output: OutputFormat }>().output,
    apiUrlFlag: () => program.opts<{ apiUrl?: string }>().apiUrl,
  };
  for (const register of COMMANDS) register(program, ctx);
  return program;
}
