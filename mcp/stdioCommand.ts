import type { Command } from 'commander';
import { resolveConnection } from '../cli/config';
import { EXIT, ExitWith } from '../cli/exitCodes';
import type { CliContext } from '../cli/program';
import { startStdioProxy } from './stdioProxy';

/**
 * `copilot mcp`: the stdio MCP server (mcp/stdioProxy.ts), registered in cli/program.ts's
 * COMMANDS. The API URL and token come from where every CLI command gets them (--api-url,
 * COPILOT_API_URL / COPILOT_TOKEN, then `copilot login`'s stored config). stdout carries only MCP
 * messages, so every word for a person goes to stderr.
 */
export async function serveMcpStdio(connection: { apiUrl: string; token?: string | undefined }): Promise<void> {
  if (!connection.token) throw new ExitWith(EXIT.failed, 'copilot mcp: no token: set COPILOT_TOKEN or run "copilot login" (the API knows you by it)');
  let proxy;
  try {
    proxy = await startStdioProxy({ apiUrl: connection.apiUrl, token: connection.token });
  } catch (err) {
    throw new ExitWith(EXIT.failed, `copilot mcp: cannot use the copilot MCP endpoint at ${connection.apiUrl}/mcp: ${err instanceof Error ? err.message : String(err)}`);
  }
  process.stderr.write(`copilot mcp: serving on stdio, forwarding to ${connection.apiUrl}/mcp\n`);
  const stop = () => {
    void proxy.close().finally(() => process.exit(EXIT.ok));
  };
  process.stdin.once('end', stop);
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

export function mcpCommand(program: Command, ctx: CliContext): void {
  program
    .command('mcp')
    .description('Serve the copilot as an MCP server on stdio (Claude Desktop, Claude Code, Cursor), forwarding to the API with your token')
    .action(() => serveMcpStdio(resolveConnection({ apiUrl: ctx.apiUrlFlag() })));
}
