import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startChatStack, TOKENS, type ChatStack } from '../chat/support/chatStack';
import { BIN, runCli, tempConfigDir } from './support/cliProcess';

/**
 * `copilot chat` against the real chat stack: the interactive REPL driven through a real
 * pseudo-terminal (tmux, on its own socket), and the one-shot form. The reply the terminal shows is
 * the one the session's transcript holds; a proposal is shown as a card and "yes" starts the run.
 */
let stack: ChatStack;
const socket = `copilot-cli-test-${process.pid}`;
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });

beforeAll(async () => {
  stack = await startChatStack('cli_chat');
});

afterAll(async () => {
  try {
    tmux('kill-server');
  } catch {
    // no server left: every session ended
  }
  await stack?.close();
});

async function eventually<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not seen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

const pane = (target: string, escapes = false) => tmux('capture-pane', '-p', '-J', ...(escapes ? ['-e'] : []), '-t', target);
const prompts = (text: string) => text.split('\n').filter((l) => l.startsWith('you> ')).length;
const alive = (target: string) => {
  try {
    tmux('has-session', '-t', target);
    return true;
  } catch {
    return false;
  }
};

function startRepl(name: string, token: string, configDir: string): void {
  tmux(
    'new-session',
    '-d',
    '-s',
    name,
    '-x',
    '200',
    '-y',
    '50',
    '-e',
    `COPILOT_API_URL=${stack.url}`,
    '-e',
    `COPILOT_TOKEN=${token}`,
    '-e',
    `COPILOT_CONFIG_DIR=${configDir}`,
    '-e',
    'TERM=xterm-256color',
    process.execPath,
    BIN,
    'chat',
  );
}

async function say(name: string, text: string): Promise<string> {
  const before = prompts(pane(name));
  tmux('send-keys', '-t', name, '-l', text);
  tmux('send-keys', '-t', name, 'Enter');
  // The answer is complete when the prompt comes back.
  return eventually(() => {
    const now = pane(name);
    return prompts(now) > before ? now : undefined;
  }, `reply to "${text}"`);
}

describe('copilot chat in a terminal', () => {
  it('streams the reply, keeps history, shows a proposal card and starts the run on "yes"', async () => {
    const configDir = tempConfigDir();
    startRepl('chat', TOKENS.operator, configDir);
    const opening = await eventually(() => {
      const text = pane('chat');
      return prompts(text) === 1 ? text : undefined;
    }, 'the first prompt');
    const sessionId = /session ([0-9a-f-]{36})/.exec(opening)![1]!;
    // A terminal gets colours: the prompt is coloured.
    // eslint-disable-next-line no-control-regex
    expect(pane('chat', true)).toMatch(/\u001b\[[0-9;]*m/);

    const answered = await say('chat', 'what runbooks are there?');
    const transcript = await stack.call('GET', `/api/v1/sessions/${sessionId}/messages`, { token: TOKENS.operator });
    const reply = (transcript.body.items as { role: string; content: string }[]).find((m) => m.role === 'assistant')!.content;
    const shown = answered.slice(answered.indexOf('copilot> ') + 'copilot> '.length);
    expect(shown.replace(/\s+/g, ' ')).toContain(reply.replace(/\s+/g, ' ').slice(0, 60));
    expect(reply.length).toBeGreaterThan(20);
    expect(shown).not.toMatch(/degraded/); // degraded (a failed model) is marked; this stack has none to fail

    // Up arrow recalls the last question (readline history).
    tmux('send-keys', '-t', 'chat', 'Up');
    await eventually(() => (pane('chat').trimEnd().split('\n').at(-1) === 'you> what runbooks are there?' ? true : undefined), 'the recalled question');
    tmux('send-keys', '-t', 'chat', 'C-u');

    const proposed = await say('chat', 'deploy auth v2.3.1 to production');
    expect(proposed).toMatch(/┌ proposal: /);
    expect(proposed).toMatch(/│ runbook deploy-service \{"service":"auth","version":"v2.3.1","environment":"production"\}/);
    expect(proposed).toMatch(/└ answer "yes" to confirm/);
    await say('chat', 'yes');
    const runId = await eventually(async () => {
      const runs = await stack.call('GET', '/api/v1/runs?requester=olga&runbook=deploy-service', { token: TOKENS.viewer });
      return (runs.body.items as { runId: string }[] | undefined)?.[0]?.runId;
    }, 'the run started from the chat');
    expect(runId).toMatch(/^run-/);

    tmux('send-keys', '-t', 'chat', '-l', '/exit');
    tmux('send-keys', '-t', 'chat', 'Enter');
    await eventually(() => (alive('chat') ? undefined : true), 'the REPL to exit');
    const history = readFileSync(path.join(configDir, 'chat_history'), 'utf8').trim().split('\n');
    expect(history).toEqual(['what runbooks are there?', 'deploy auth v2.3.1 to production', 'yes']);
  });
});

describe('copilot chat "question"', () => {
  it('answers one question and exits 0 (JSON, then text)', async () => {
    const json = await runCli(['-o', 'json', 'chat', 'what runbooks are there?'], { apiUrl: stack.url, token: TOKENS.viewer });
    expect(json.code).toBe(0);
    const body = JSON.parse(json.stdout) as { sessionId: string; text: string; turnId: string; degraded: boolean };
    expect(body.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.text.length).toBeGreaterThan(20);
    expect(body.degraded).toBe(false);
    const res = await runCli(['chat', 'what', 'runbooks', 'are', 'there?'], { apiUrl: stack.url, token: TOKENS.viewer });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toBe(`${body.text}\n`);
  });
});
