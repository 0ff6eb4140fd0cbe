import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import type { Command } from 'commander';
import type { ApiClient } from '../apiClient';
import { configDir } from '../config';
import { colors, printJson, safeText } from '../output';
import type { CliContext, CommandModule } from '../program';
import { followStream, type StreamEvent } from '../sse';

/**
 * `copilot chat`: an interactive session (node:readline, with history kept in the config dir) whose
 * replies stream token by token from the session's SSE stream, or `copilot chat "question"` for
 * one answer. Proposals are shown as cards; you confirm them by answering "yes", as in every surface.
 */
const HISTORY_LIMIT = 500;
const REPLY_TIMEOUT_MS = 180_000;

function historyFile(): string {
  return path.join(configDir(), 'chat_history');
}

function loadHistory(): string[] {
  try {
    return readFileSync(historyFile(), 'utf8').split('\n').filter(Boolean).slice(-HISTORY_LIMIT).reverse();
  } catch {
    return [];
  }
}

function remember(line: string): void {
  try {
    mkdirSync(configDir(), { recursive: true, mode: 0o700 });
    appendFileSync(historyFile(), `${line.replace(/\n/g, ' ')}\n`, { mode: 0o600 });
  } catch {
    // history is a convenience: never fail a chat over it
  }
}

interface Proposal {
  summary?: string;
  runbook?: string;
  params?: Record<string, unknown>;
  kind?: string;
}

/** One session's stream, turned into "a turn's reply": deltas as they come, then its completion. */
class SessionStream {
  private current: { turnId: string; attempt: number; printed: boolean; done: (data: Record<string, unknown>) => void } | undefined;
  private early = new Map<string, StreamEvent[]>();
  private readonly abort = new AbortController();
  private following: Promise<unknown> | undefined;

  constructor(
    private readonly client: ApiClient,
    private readonly sessionId: string,
    private readonly write: (text: string) => void,
  ) {}

  start(): void {
    this.following = followStream(this.client, `/api/v1/sessions/${this.sessionId}/events`, {
      signal: this.abort.signal,
      onEvent: (event) => this.dispatch(event),
    }).catch((err: unknown) => {
      process.stderr.write(`${colors.red('error')}: ${(err as Error).message}\n`);
    });
  }

  /** Resolves with the turn's reply.completed data; rejects if none comes within REPLY_TIMEOUT_MS. */
  reply(turnId: string): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.current?.turnId === turnId) this.current = undefined;
        reject(new Error(`no reply within ${REPLY_TIMEOUT_MS / 1000} s (turn ${turnId}); the answer will still be in the session's history`));
      }, REPLY_TIMEOUT_MS);
      const done = (data: Record<string, unknown>) => {
        clearTimeout(timer);
        resolve(data);
      };
      this.current = { turnId, attempt: 0, printed: false, done };
      for (const event of this.early.get(turnId) ?? []) this.dispatch(event);
      this.early.delete(turnId);
    });
  }

  private dispatch(event: StreamEvent): void {
    const turnId = typeof event.data.turnId === 'string' ? event.data.turnId : undefined;
    if (!turnId) return;
    const turn = this.current;
    if (!turn || turn.turnId !== turnId) {
      // The stream can be faster than the POST's answer: keep the turn's events until we know its id.
      if (event.type === 'reply.delta' || event.type === 'reply.completed') this.early.set(turnId, [...(this.early.get(turnId) ?? []), event]);
      return;
    }
    if (event.type === 'reply.delta') {
      const attempt = typeof event.data.attempt === 'number' ? event.data.attempt : 0;
      if (attempt > turn.attempt) {
        // A retried answer starts over.
        turn.attempt = attempt;
        if (turn.printed) this.write(`\n${colors.dim('(retrying)')}\n`);
      }
      if (attempt < turn.attempt) return;
      turn.printed = true;
      this.write(safeText(event.data.text));
    } else if (event.type === 'reply.completed') {
      if (!turn.printed) this.write(safeText(event.data.text));
      this.current = undefined;
      turn.done(event.data);
    }
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.following;
  }
}

function printCompletion(data: Record<string, unknown>, write: (text: string) => void): void {
  write('\n');
  if (data.degraded === true) write(`${colors.dim('(degraded: a rule-based answer, the language model was unavailable)')}\n`);
  const proposal = data.proposal as Proposal | undefined;
  if (proposal) {
    write(`${colors.yellow('┌ proposal')}: ${safeText(proposal.summary ?? proposal.kind)}\n`);
    if (proposal.runbook) write(`${colors.yellow('│')} runbook ${safeText(proposal.runbook)} ${safeText(JSON.stringify(proposal.params ?? {}))}\n`);
    write(`${colors.yellow('└')} answer "yes" to confirm or "no" to dismiss\n`);
  }
}

async function ask(client: ApiClient, stream: SessionStream, sessionId: string, text: string): Promise<Record<string, unknown>> {
  const sent = await client.post<{ turnId: string }>(`/api/v1/sessions/${sessionId}/messages`, { content: text });
  return stream.reply(sent.turnId);
}

async function repl(client: ApiClient, sessionId: string): Promise<void> {
  const write = (t: string) => void process.stdout.write(t);
  const stream = new SessionStream(client, sessionId, write);
  stream.start();
  const rl: Interface = createInterface({ input: process.stdin, output: process.stdout, history: loadHistory(), historySize: HISTORY_LIMIT, prompt: `${colors.cyan('you')}> ` });
  write(colors.dim(`session ${sessionId} — /exit or Ctrl-D to leave\n`));
  rl.prompt();
  let busy = Promise.resolve();
  const closed = new Promise<void>((resolve) => rl.on('close', resolve));
  // Without a listener readline only pauses on Ctrl-C; leave like Ctrl-D does.
  rl.on('SIGINT', () => rl.close());
  rl.on('line', (line) => {
    const text = line.trim();
    if (text === '') return rl.prompt();
    if (text === '/exit' || text === '/quit') return rl.close();
    remember(text);
    rl.pause();
    busy = busy.then(async () => {
      write(`${colors.green('copilot')}> `);
      try {
        printCompletion(await ask(client, stream, sessionId, text), write);
      } catch (err) {
        write(`\n${colors.red('error')}: ${(err as Error).message}\n`);
      }
      rl.resume();
      rl.prompt();
    });
  });
  await closed;
  await busy;
  write('\n');
  await stream.close();
}

export const chatCommand: CommandModule = (program: Command, ctx: CliContext) => {
  program
    .command('chat')
    .description('chat with the copilot: interactive with no question, one answer with one')
    .argument('[question...]', 'ask one question and exit')
    .option('-s, --session <id>', 'continue an existing session')
    .action(async (words: string[], opts: { session?: string }) => {
      const client = ctx.client();
      const sessionId = opts.session ?? (await client.post<{ sessionId: string }>('/api/v1/sessions', {})).sessionId;
      if (words.length === 0) return repl(client, sessionId);
      const json = ctx.output() === 'json';
      const write = (t: string) => void (json ? undefined : process.stdout.write(t));
      const stream = new SessionStream(client, sessionId, write);
      stream.start();
      try {
        const done = await ask(client, stream, sessionId, words.join(' '));
        if (json) printJson({ sessionId, ...done });
        else printCompletion(done, write);
      } finally {
        await stream.close();
      }
    });
};
