import { Context } from '@temporalio/activity';
import type { EventStore, NewEvent, StoredEvent } from '../../domain/events';

/**
 * Forwards a run's progress into the chat: step results, the approval gate being announced, the
 * decision and the end. A long-running activity that heartbeats its position (the run's seq), so
 * a retry resumes where it was; forwarded events are keyed by run id + run seq, so a restart after
 * continue-as-new (which re-follows open runs) never duplicates them.
 */
export interface FollowInput {
  sessionStreamId: string;
  runId: string;
  runbook: string;
}

export interface FollowResult {
  status: 'succeeded' | 'failed' | 'cancelled' | 'unknown';
}

const TERMINAL: Record<string, FollowResult['status']> = { 'run.completed': 'succeeded', 'run.failed': 'failed', 'run.cancelled': 'cancelled' };

function forward(input: FollowInput, e: StoredEvent): NewEvent | undefined {
  const d = e.data;
  const base = { runId: input.runId, runbook: input.runbook, runSeq: e.seq };
  const key = `${input.sessionStreamId}/run/${input.runId}/${e.seq}`;
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  switch (e.type) {
    case 'run.started':
      return { type: 'action.progress', dedupeKey: key, data: { ...base, what: 'run.started', text: `${input.runbook} ${input.runId} started.` } };
    case 'step.succeeded':
    case 'step.failed':
    case 'step.skipped':
      return { type: 'action.progress', dedupeKey: key, data: { ...base, what: e.type, stepId: d.stepId, text: `${input.runbook}: step ${str(d.stepId)} ${e.type.slice(5)}.` } };
    case 'approval.requested':
      return {
        type: 'action.approval_requested',
        dedupeKey: key,
        data: {
          ...base,
          gateId: d.gateId,
          message: d.message,
          requiredRoles: d.requiredRoles,
          fourEyes: d.fourEyes,
          text: `${input.runbook} ${input.runId} waits for approval "${str(d.gateId)}"${d.fourEyes ? ' (four-eyes: someone other than the requester)' : ''}. An approver can say "approve ${input.runId}" in their chat.`,
        },
      };
    case 'run.paused':
    case 'run.resumed':
      return {
        type: 'action.progress',
        dedupeKey: key,
        data: {
          ...base,
          what: e.type,
          by: d.by,
          via: d.via,
          text: `${input.runbook} ${input.runId} ${e.type === 'run.paused' ? 'paused' : 'resumed'} by ${str(d.by)}${d.claimed ? ' (claimed)' : ''}.`,
        },
      };
    case 'approval.decided':
      return {
        type: 'action.progress',
        dedupeKey: key,
        data: {
          ...base,
          what: e.type,
          gateId: d.gateId,
          decision: d.decision,
          approver: d.approver,
          text: `${str(d.approver)} ${str(d.decision) === 'approve' ? 'approved' : 'rejected'} "${str(d.gateId)}".`,
        },
      };
    case 'run.completed':
    case 'run.failed':
    case 'run.cancelled':
      return {
        type: 'action.completed',
        dedupeKey: key,
        data: { ...base, status: TERMINAL[e.type], error: d.error, text: `${input.runbook} ${input.runId} ${TERMINAL[e.type]}.` },
      };
    default:
      return undefined;
  }
}

export async function followRun(events: EventStore, input: FollowInput, pollMs: number): Promise<FollowResult> {
  const ctx = Context.current();
  let afterSeq = typeof ctx.info.heartbeatDetails === 'number' ? ctx.info.heartbeatDetails : 0;
  for (;;) {
    const batch = await events.list(input.runId, afterSeq, 200);
    const forwarded = batch.map((e) => forward(input, e)).filter((e): e is NewEvent => e !== undefined);
    if (forwarded.length) await events.append(input.sessionStreamId, forwarded);
    const terminal = batch.find((e) => TERMINAL[e.type]);
    if (batch.length) afterSeq = batch[batch.length - 1]!.seq;
    if (terminal) return { status: TERMINAL[terminal.type] ?? 'unknown' };
    ctx.heartbeat(afterSeq);
    // Throws CancelledFailure when the session ended or continued as new: the next run re-follows.
    await ctx.sleep(pollMs);
  }
}
