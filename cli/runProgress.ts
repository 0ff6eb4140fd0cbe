import ora, { type Ora } from 'ora';
import type { ApiClient } from './apiClient';
import { EXIT } from './exitCodes';
import { colors, safeText, status } from './output';
import { followStream, type StreamEvent } from './sse';

/**
 * Live progress of one run, step by step, from GET /runs/:id/events: one line per finished step,
 * gate and compensation, a spinner (ora, on stderr, only on a terminal) naming what runs now. With
 * `json` every event is printed as one JSON line instead. When the stream ends the run's state
 * decides the exit code: 0 succeeded, 1 failed, 2 cancelled or rejected.
 */
export interface RunOutcome {
  status: string;
  exitCode: number;
  state: RunStateLike;
}

export interface RunStateLike {
  runId: string;
  status: string;
  error?: string;
  approvals: { gateId: string; status: string; digest?: string; decidedBy?: string }[];
  steps: { id: string; type: string; status: string; attempts: number; error?: string }[];
  [key: string]: unknown;
}

export function exitCodeOf(state: RunStateLike): number {
  if (state.status === 'succeeded') return EXIT.ok;
  if (state.status === 'cancelled') return EXIT.cancelledOrRejected;
  if (state.approvals.some((a) => a.status === 'rejected')) return EXIT.cancelledOrRejected;
  return EXIT.failed;
}

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

function str(value: unknown): string {
  return safeText(typeof value === 'string' ? value : value === undefined || value === null ? '' : JSON.stringify(value));
}

/** lines: progress for people; ndjson: every event as a JSON line; quiet: nothing (the caller prints the outcome). */
export type WatchMode = 'lines' | 'ndjson' | 'quiet';

export async function watchRun(client: ApiClient, runId: string, options: { mode: WatchMode }): Promise<RunOutcome> {
  const running = new Set<string>();
  const spinner: Ora = ora({ stream: process.stderr, isEnabled: Boolean(process.stderr.isTTY) && options.mode === 'lines' });
  const line = (text: string) => {
    const spinning = spinner.isSpinning;
    if (spinning) spinner.stop();
    process.stdout.write(`${text}\n`);
    if (spinning || running.size > 0) refresh();
  };
  const refresh = () => {
    if (running.size === 0) return void spinner.stop();
    spinner.start(`running: ${[...running].join(', ')}`);
  };

  const render = (event: StreamEvent): void => {
    const d = event.data;
    const step = str(d.stepId);
    switch (event.type) {
      case 'run.started':
        return line(`${colors.cyan('▶')} ${runId} ${str(d.runbook)} started`);
      case 'step.started':
        running.add(step);
        return refresh();
      case 'step.log': {
        const lines = Array.isArray(d.lines) ? (d.lines as { stream?: string; line?: string }[]) : [];
        for (const l of lines) line(colors.dim(`  │ ${step}${l.stream === 'stderr' ? ' (stderr)' : ''}: ${str(l.line)}`));
        return undefined;
      }
      case 'step.retrying':
        return line(`${colors.yellow('↻')} ${step} retrying (attempt ${str(d.nextAttempt ?? d.attempt)}): ${str(d.error)}`);
      case 'step.succeeded':
        running.delete(step);
        return line(`${colors.green('✔')} ${step}`);
      case 'step.failed':
        running.delete(step);
        return line(`${colors.red('✖')} ${step}: ${str(d.error)}`);
      case 'step.skipped':
        return line(`${colors.dim('○')} ${step} skipped${d.when ? colors.dim(` (when: ${str(d.when)})`) : ''}`);
      case 'approval.requested': {
        const gate = str(d.gateId);
        running.delete(gate);
        const roles = Array.isArray(d.roles) ? d.roles.join(', ') : '';
        line(
          `${colors.yellow('⏸')} approval "${gate}" waiting${d.message ? `: ${str(d.message)}` : ''} (roles: ${roles}${d.fourEyes ? ', four eyes' : ''}; expires ${str(d.expiresAt)})`,
        );
        return line(colors.dim(`  copilot runs approve ${runId} ${gate}   |   copilot runs reject ${runId} ${gate}`));
      }
      case 'approval.decided':
        return line(
          `${d.status === 'approved' ? colors.green('✔') : colors.red('✖')} approval "${str(d.gateId)}" ${status(str(d.status))}${d.decidedBy ? ` by ${str(d.decidedBy)}` : ''}${d.via ? ` via ${str(d.via)}` : ''}${d.comment ? `: ${str(d.comment)}` : ''}`,
        );
      case 'approval.replanned':
        return line(`${colors.yellow('↻')} approval "${str(d.gateId)}" re-planned (params changed): earlier votes no longer count; decide on ${str(d.digest)}`);
      case 'approval.escalated':
        return line(`${colors.yellow('⇧')} approval "${str(d.gateId)}" escalated`);
      case 'approval.reminder':
        return line(`${colors.yellow('⏰')} approval "${str(d.gateId)}" still waiting`);
      case 'run.paused':
        return line(`${colors.yellow('⏸')} paused by ${str(d.by)}${d.reason ? `: ${str(d.reason)}` : ''}`);
      case 'run.resumed':
        return line(`${colors.green('▶')} resumed by ${str(d.by)}${Array.isArray(d.paramsChanged) ? ` (params changed: ${d.paramsChanged.map(String).join(', ')})` : ''}`);
      case 'approval.refused':
        return line(`${colors.red('!')} approval signal refused: ${str(d.reason ?? d.error)}`);
      case 'compensation.started':
        return line(`${colors.magenta('↩')} compensating`);
      case 'compensation.step.succeeded':
        return line(`${colors.magenta('↩')} ${step} compensated`);
      case 'compensation.step.failed':
        return line(`${colors.red('↩')} ${step} compensation failed: ${str(d.error)}`);
      case 'run.completed':
        running.clear();
        return line(`${colors.green('■')} run ${status('succeeded')}`);
      case 'run.failed':
        running.clear();
        return line(`${colors.red('■')} run ${status('failed')}: ${str(d.error)}`);
      case 'run.cancelled':
        running.clear();
        return line(`${colors.red('■')} run ${status('cancelled')}`);
      default:
        return undefined;
    }
  };

  try {
    await followStream(client, `/api/v1/runs/${encodeURIComponent(runId)}/events`, {
      onEvent(event) {
        if (options.mode === 'ndjson') process.stdout.write(`${JSON.stringify(event.data)}\n`);
        else if (options.mode === 'lines') render(event);
      },
    });
  } finally {
    spinner.stop();
  }
  // The stream ends after the terminal event; a run terminated from the Temporal UI ends it without one.
  let state = await client.get<RunStateLike>(`/api/v1/runs/${encodeURIComponent(runId)}`);
  for (let i = 0; i < 20 && !TERMINAL.has(state.status); i++) {
    await new Promise((r) => setTimeout(r, 250));
    state = await client.get<RunStateLike>(`/api/v1/runs/${encodeURIComponent(runId)}`);
  }
  return { status: state.status, exitCode: exitCodeOf(state), state };
}
