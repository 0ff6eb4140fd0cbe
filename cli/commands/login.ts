import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import type { Command } from 'commander';
import { ApiClient } from '../apiClient';
import { DEFAULT_API_URL, readStoredConfig, writeStoredConfig } from '../config';
import { colors, printFields, printJson } from '../output';
import type { CliContext, CommandModule } from '../program';

/** `copilot login` (store API URL + token, checked against GET /me) and `copilot whoami`. */
interface Me {
  subject: string;
  roles: string[];
  permissions: Record<string, boolean>;
  temporalUiUrl?: string;
}

async function readAll(stream: NodeJS.ReadStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** Prompts without echoing what is typed (the token). */
async function promptHidden(question: string): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  const answer = rl.question(question);
  muted = true;
  try {
    return await answer;
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}

function printMe(me: Me, apiUrl: string, ctx: CliContext): void {
  if (ctx.output() === 'json') return printJson({ apiUrl, ...me });
  printFields([
    ['api', apiUrl],
    ['subject', me.subject],
    ['roles', me.roles.join(', ') || '(none)'],
    [
      'may',
      Object.entries(me.permissions)
        .filter(([, ok]) => ok)
        .map(([name]) => name)
        .join(', '),
    ],
    ['temporal ui', me.temporalUiUrl],
  ]);
}

export const loginCommand: CommandModule = (program: Command, ctx: CliContext) => {
  program
    .command('login')
    .description('store the API URL and a token in your config directory (mode 0600), after checking them')
    .option('--token-stdin', 'read the token from standard input (e.g. `echo $TOKEN | copilot login --token-stdin`)')
    .action(async (opts: { tokenStdin?: boolean }) => {
      const stored = readStoredConfig();
      const apiUrl = (ctx.apiUrlFlag() ?? process.env.COPILOT_API_URL ?? stored.apiUrl ?? DEFAULT_API_URL).replace(/\/+$/, '');
      let token: string;
      if (opts.tokenStdin) token = (await readAll(process.stdin)).trim();
      else if (process.stdin.isTTY) token = (await promptHidden(`Token for ${apiUrl}: `)).trim();
      else if (process.env.COPILOT_TOKEN) token = process.env.COPILOT_TOKEN;
      else throw new Error('no token: pass --token-stdin, set COPILOT_TOKEN, or run in a terminal to be asked');
      if (!token) throw new Error('the token is empty');
      const me = await new ApiClient({ apiUrl, token }).get<Me>('/api/v1/me');
      const file = writeStoredConfig({ apiUrl, token });
      if (ctx.output() !== 'json') process.stderr.write(`${colors.green('logged in')} as ${me.subject}; saved to ${file}\n`);
      printMe(me, apiUrl, ctx);
    });

  program
    .command('whoami')
    .description('who the API says you are and what you may do (GET /api/v1/me)')
    .action(async () => {
      const client = ctx.client();
      printMe(await client.get<Me>('/api/v1/me'), client.connection.apiUrl, ctx);
    });
};
