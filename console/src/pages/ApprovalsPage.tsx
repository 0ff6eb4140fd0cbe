import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { Link } from 'wouter';
import { ApprovalActions } from '../components/ApprovalActions';
import { ErrorText } from '../components/ErrorText';
import { When } from '../components/Status';
import { apiFetch } from '../lib/api';
import type { PendingApproval } from '../lib/types';
import { useEventLog } from '../lib/useEventLog';

/**
 * Everything waiting on a decision, newest first, with expiry (GET /api/v1/approvals). The
 * approvals feed (GET /api/v1/approvals/events) says when a gate opens or is decided from any
 * surface (console, chat, CLI, API, Temporal signal). Feed events re-read the inbox at most once per
 * REFETCH_WINDOW_MS: a burst of gates (an incident starting many runs) is one or two reads, not one each.
 */
const REFETCH_WINDOW_MS = 500;

export function ApprovalsPage() {
  const client = useQueryClient();
  const inbox = useQuery({
    queryKey: ['approvals'],
    queryFn: () => apiFetch<{ items: PendingApproval[]; unavailable?: string[] }>('/approvals'),
    // Expiry and runs that stop answering are not feed events: a slow poll covers them.
    refetchInterval: 30_000,
  });
  const { events, status } = useEventLog('/approvals/events');
  const pending = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => {
    if (!events.length || pending.current) return;
    // The first event of a burst schedules the read; the events until it runs ride along with it.
    pending.current = setTimeout(() => {
      pending.current = undefined;
      void client.invalidateQueries({ queryKey: ['approvals'] });
    }, REFETCH_WINDOW_MS);
  }, [client, events.length]);
  useEffect(() => () => clearTimeout(pending.current), []);
  const items = [...(inbox.data?.items ?? [])].sort((a, b) => b.requestedAt.localeCompare(a.requestedAt));
  return (
    <div>
      <h1>Approvals</h1>
      <p className="muted">
        live: <span data-testid="stream-status">{status}</span>
      </p>
      <ErrorText error={inbox.error} />
      {inbox.data?.unavailable?.length ? <p className="warning">Not answering (gates not shown): {inbox.data.unavailable.join(', ')}</p> : null}
      {inbox.data && items.length === 0 && <p className="muted">Nothing is waiting for a decision.</p>}
      <ul className="cards" data-testid="inbox">
        {items.map((i) => (
          <li key={`${i.runId}/${i.gateId}`} className="card" data-testid={`inbox-${i.runId}`}>
            <h2>
              <Link href={`/runs/${i.runId}`}>{i.runbook}</Link> <span className="mono">{i.runId}</span>
            </h2>
            <p className="muted">
              requested by {i.requestedBy} · <When at={i.requestedAt} />
              {i.guards.length ? ` · holds ${i.guards.join(', ')}` : ''}
            </p>
            {i.votes.length > 0 && (
              <p className="muted">
                votes: {i.votes.map((v) => `${v.approver} ${v.decision}`).join(', ')} ({i.votes.length}/{i.requiredCount})
              </p>
            )}
            <ApprovalActions
              runId={i.runId}
              gate={{
                gateId: i.gateId,
                status: 'pending',
                requiredRoles: i.requiredRoles,
                fourEyes: i.fourEyes,
                expiresAt: i.expiresAt,
                ...(i.message ? { message: i.message } : {}),
                ...(i.digest ? { digest: i.digest } : {}),
              }}
              requestedBy={i.requestedBy}
              {...(!i.canDecide && i.reason ? { serverReason: i.reason } : {})}
            />
          </li>
        ))}
      </ul>
    </div>
  );
}
