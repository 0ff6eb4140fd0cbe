import { spawn } from 'node:child_process';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { EventStore, NewEvent } from '../domain/events';
import { PERMANENT_FAILURE, STEP_FAILURE } from '../domain/failureTypes';

export interface CommandAction {
  command: string[];
  env?: Record<string, string>;
  expectExitCode?: number;
}

export interface CommandPolicy {
  /** Executables a step may run: a bare name matches the basename, a path matches exactly. */
  allowlist: readonly string[];
  cwd: string;
  maxLogLines: number;
}

export interface CommandOutput {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/** Variables a child process inherits from the worker; everything else (tokens, DB URLs) is withheld. */
const INHERITED_ENV = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'];
const TAIL_CHARS = 4096;
/** A log line is kept up to this many characters: one endless line must not fill memory or an event. */
const MAX_LINE_CHARS = 4096;
/** Characters of lines per step.log event, well inside the event cap (MAX_EVENT_DATA_BYTES). */
const MAX_EVENT_LINE_CHARS = 64 * 1024;
const FLUSH_MS = 200;
const HEARTBEAT_MS = 5000;

function asArg(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

export function isAllowed(executable: string, policy: CommandPolicy): boolean {
  const resolved = path.resolve(policy.cwd, executable);
  return policy.allowlist.some((entry) => (entry.includes('/') ? path.resolve(policy.cwd, entry) === resolved : entry === path.basename(executable) && !executable.includes('/')));
}

/**
 * Runs argv directly (never through a shell), streams its output lines as step.log events and
 * kills the process when the activity is cancelled or times out.
 */
export async function runCommand(
  action: CommandAction,
  policy: CommandPolicy,
  log: { events: EventStore; runId: string; stepId: string; dedupePrefix: string },
): Promise<CommandOutput> {
  // A whole-value template keeps its type (`${{ params.replicas }}` is a number): argv is text.
  const [executable, ...args] = action.command.map(asArg);
  if (!executable) throw ApplicationFailure.nonRetryable('command is empty', STEP_FAILURE.invalidCommand);
  if (!isAllowed(executable, policy)) {
    throw ApplicationFailure.nonRetryable(`executable "${executable}" is not in COMMAND_ALLOWLIST`, STEP_FAILURE.commandNotAllowed);
  }
  const env: Record<string, string> = {};
  for (const name of INHERITED_ENV) if (process.env[name] !== undefined) env[name] = process.env[name]!;
  for (const [name, value] of Object.entries(action.env ?? {})) env[name] = asArg(value);
  // The OS cannot pass NUL in argv or env (spawn throws): no retry changes that, fail the step now.
  if ([executable, ...args, ...Object.keys(env), ...Object.values(env)].some((v) => v.includes('\u0000'))) {
    throw ApplicationFailure.nonRetryable('command, arguments or env contain a NUL character (\\u0000)', PERMANENT_FAILURE.invalidData);
  }

  const ctx = Context.current();
  const child = spawn(executable, args, { cwd: policy.cwd, env, shell: false, stdio: ['ignore', 'pipe', 'pipe'] });
  const tails = { stdout: '', stderr: '' };
  const pendingLines: { stream: string; line: string }[] = [];
  let lineCount = 0;
  let batch = 0;
  let flushing: Promise<void> = Promise.resolve();

  const flush = () => {
    if (pendingLines.length === 0) return flushing;
    const lines = pendingLines.splice(0, pendingLines.length);
    const events: NewEvent[] = [];
    for (let start = 0; start < lines.length;) {
      let end = start;
      let chars = 0;
      while (end < lines.length && (end === start || chars + lines[end]!.line.length <= MAX_EVENT_LINE_CHARS)) chars += lines[end++]!.line.length;
      events.push({ type: 'step.log', data: { stepId: log.stepId, lines: lines.slice(start, end) }, dedupeKey: `${log.dedupePrefix}/log/${batch++}` });
      start = end;
    }
    flushing = flushing.then(() => log.events.append(log.runId, events).then(() => undefined));
    return flushing;
  };
  const pushLine = (stream: string, line: string) => {
    if (lineCount++ < policy.maxLogLines) pendingLines.push({ stream, line: line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}…[line truncated]` : line });
    else if (lineCount === policy.maxLogLines + 1) pendingLines.push({ stream, line: '[log truncated]' });
  };
  const onData = (stream: 'stdout' | 'stderr') => {
    let partial = '';
    const onChunk = (chunk: string) => {
      // Postgres jsonb cannot hold NUL: binary output must not make every retry fail.
      const text = chunk.replaceAll('\u0000', '\uFFFD');
      tails[stream] = (tails[stream] + text).slice(-TAIL_CHARS);
      const parts = (partial + text).split('\n');
      // An unfinished line keeps its beginning only (one character over the cap marks it long).
      partial = (parts.pop() ?? '').slice(0, MAX_LINE_CHARS + 1);
      for (const line of parts) pushLine(stream, line);
    };
    // The last line, when the output does not end with a newline.
    const onEnd = () => {
      if (partial) pushLine(stream, partial);
      partial = '';
    };
    return { onChunk, onEnd };
  };
  for (const stream of ['stdout', 'stderr'] as const) {
    const { onChunk, onEnd } = onData(stream);
    // Decoded by the stream, so a character split across two chunks stays whole.
    child[stream].setEncoding('utf8');
    child[stream].on('data', onChunk);
    child[stream].on('end', onEnd);
  }

  const flushTimer = setInterval(() => void flush().catch(() => undefined), FLUSH_MS);
  const heartbeatTimer = setInterval(() => ctx.heartbeat({ lines: lineCount }), HEARTBEAT_MS);
  const onCancel = () => child.kill('SIGTERM');
  ctx.cancellationSignal.addEventListener('abort', onCancel);

  try {
    const exitCode = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code) => resolve(code));
    });
    await flush();
    if (ctx.cancellationSignal.aborted) throw ApplicationFailure.retryable('command cancelled', STEP_FAILURE.commandCancelled);
    const expected = action.expectExitCode ?? 0;
    if (exitCode !== expected) {
      const lastLine = tails.stderr.trim().split('\n').pop() ?? '';
      throw ApplicationFailure.retryable(
        `${path.basename(executable)} exited with ${exitCode ?? 'a signal'} (expected ${expected})${lastLine ? `: ${lastLine}` : ''}`,
        STEP_FAILURE.commandFailed,
      );
    }
    return { exitCode, stdout: tails.stdout, stderr: tails.stderr };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES') {
      throw ApplicationFailure.nonRetryable(`cannot execute "${executable}": ${code}`, STEP_FAILURE.commandNotFound);
    }
    throw err;
  } finally {
    clearInterval(flushTimer);
    clearInterval(heartbeatTimer);
    ctx.cancellationSignal.removeEventListener('abort', onCancel);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
