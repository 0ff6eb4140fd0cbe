import { resolveConnection } from '../cli/config';
import { ExitWith } from '../cli/exitCodes';
import { serveMcpStdio } from './stdioCommand';

/** `tsx mcp/stdioMain.ts`: `copilot mcp` without the rest of the CLI. */
serveMcpStdio(resolveConnection({})).catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(err instanceof ExitWith ? err.code : 1);
});
