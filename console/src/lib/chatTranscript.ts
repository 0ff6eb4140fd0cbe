import type { Proposal, StreamEvent } from './types';

/**
 * The chat transcript, folded from the session's event stream (chat/README.md, "Events"): user
 * turns, streamed replies (deltas, resets, completion), proposal cards, approval cards, run progress.
 * A pure function of the events, so a replay (reload, reconnect) rebuilds exactly the same screen.
 */
export type TranscriptItem =
  | { kind: 'user'; key: string; turnId: string; text: string; by: string }
  | { kind: 'assistant'; key: string; turnId: string; text: string; done: boolean; degraded: boolean; degradedReason?: string; failed: boolean; runId?: string }
  | { kind: 'proposal'; key: string; proposal: Proposal; state: 'open' | 'confirmed' | 'dismissed' | 'replaced' }
  | { kind: 'approval'; key: string; runId: string; runbook: string; gateId: string; message?: string; requiredRoles: string[]; fourEyes: boolean }
  | { kind: 'progress'; key: string; text: string; runId?: string; status?: string };

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

export function foldTranscript(events: readonly StreamEvent[]): TranscriptItem[] {
  const items: TranscriptItem[] = [];
  const replies = new Map<string, Extract<TranscriptItem, { kind: 'assistant' }>>();
  const deltas = new Map<string, string[]>();
  const proposals = new Map<string, Extract<TranscriptItem, { kind: 'proposal' }>>();

  const reply = (turnId: string) => {
    let r = replies.get(turnId);
    if (!r) {
      r = { kind: 'assistant', key: `a-${turnId}`, turnId, text: '', done: false, degraded: false, failed: false };
      replies.set(turnId, r);
      items.push(r);
    }
    return r;
  };

  for (const e of events) {
    const d = e.data;
    const turnId = str(d.turnId);
    switch (e.type) {
      case 'turn.started':
        items.push({ kind: 'user', key: `u-${turnId}`, turnId, text: str(d.content), by: str(d.by) });
        break;
      case 'turn.understood':
        if (d.degraded === true) reply(turnId).degraded = true;
        break;
      case 'reply.delta': {
        const parts = deltas.get(turnId) ?? [];
        parts[typeof d.index === 'number' ? d.index : parts.length] = str(d.text);
        deltas.set(turnId, parts);
        reply(turnId).text = parts.join('');
        break;
      }
      case 'reply.reset':
        deltas.set(turnId, []);
        reply(turnId).text = '';
        break;
      case 'reply.completed': {
        const r = reply(turnId);
        r.text = str(d.text);
        r.done = true;
        r.degraded = d.degraded === true;
        if (typeof d.degradedReason === 'string') r.degradedReason = d.degradedReason;
        r.failed = d.failed === true;
        if (typeof d.runId === 'string') r.runId = d.runId;
        break;
      }
      case 'action.proposed': {
        const id = str(d.proposalId);
        const replaced = str(d.replaces);
        const old = proposals.get(replaced);
        if (old) old.state = 'replaced';
        const { proposalId: _p, replaces: _r, seq: _s, type: _t, createdAt: _c, ...card } = d;
        const item = { kind: 'proposal' as const, key: `p-${id}`, proposal: { ...(card as Omit<Proposal, 'id'>), id }, state: 'open' as const };
        proposals.set(id, item);
        items.push(item);
        break;
      }
      case 'action.confirmed':
      case 'action.dismissed': {
        const p = proposals.get(str(d.proposalId));
        if (p) p.state = e.type === 'action.confirmed' ? 'confirmed' : 'dismissed';
        break;
      }
      case 'action.started':
        items.push({ kind: 'progress', key: `s-${e.seq}`, text: `Started ${str(d.runbook)} ${str(d.runId)}.`, runId: str(d.runId) });
        break;
      case 'action.approval_requested':
        items.push({
          kind: 'approval',
          key: `g-${e.seq}`,
          runId: str(d.runId),
          runbook: str(d.runbook),
          gateId: str(d.gateId),
          ...(typeof d.message === 'string' ? { message: d.message } : {}),
          requiredRoles: Array.isArray(d.requiredRoles) ? d.requiredRoles.map(String) : [],
          fourEyes: d.fourEyes === true,
        });
        break;
      case 'action.progress':
      case 'action.completed':
      case 'action.decided':
      case 'action.cancelling':
      case 'action.incident':
      case 'action.note':
        if (str(d.text) || e.type !== 'action.progress') {
          items.push({
            kind: 'progress',
            key: `x-${e.seq}`,
            text: str(d.text) || e.type.replace('action.', ''),
            ...(typeof d.runId === 'string' ? { runId: d.runId } : {}),
            ...(typeof d.status === 'string' ? { status: d.status } : {}),
          });
        }
        break;
      default:
        break;
    }
  }
  return items;
}
