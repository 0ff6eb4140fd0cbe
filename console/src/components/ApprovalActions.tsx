import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { apiPost } from '../lib/api';
import { useMe, type Me } from '../lib/me';
import type { ApprovalState } from '../lib/types';
import { Countdown } from './Countdown';
import { ErrorText } from './ErrorText';

/** The gate as the console sees it; `digest` is sent back when the API shows one (issue #15). */
export type GateView = Pick<ApprovalState, 'gateId' | 'status' | 'requiredRoles' | 'fourEyes' | 'expiresAt'> & {
  message?: string;
  digest?: string;
};

/** Why the signed-in user may not decide, or undefined when they may (the API checks again). */
export function refusalReason(me: Me | undefined, gate: GateView, requestedBy: string | undefined): string | undefined {
  if (gate.status !== 'pending') return `already ${gate.status}`;
  if (Date.parse(gate.expiresAt) <= Date.now()) return 'expired';
  if (!me) return undefined;
  const roles = me.roles;
  const allowed = roles.includes('admin') || gate.requiredRoles.some((r) => roles.includes(r as (typeof roles)[number]));
  if (!allowed) return `needs the ${gate.requiredRoles.map((r) => `"${r}"`).join(' or ')} role`;
  if (gate.fourEyes && requestedBy !== undefined && me.subject === requestedBy) return 'four-eyes: you requested this run, someone else must approve it';
  return undefined;
}

/** `serverReason`: the API's own reason (GET /approvals), preferred over the console's guess. */
export function ApprovalActions({ runId, gate, requestedBy, serverReason }: { runId: string; gate: GateView; requestedBy: string | undefined; serverReason?: string }) {
  const me = useMe();
  const client = useQueryClient();
  const [comment, setComment] = useState('');
  const decide = useMutation({
    mutationFn: (decision: 'approve' | 'reject') =>
      apiPost(`/runs/${runId}/approvals/${gate.gateId}`, {
        decision,
        ...(comment.trim() ? { comment: comment.trim() } : {}),
        ...(gate.digest ? { digest: gate.digest } : {}),
      }),
    onSettled: () => {
      void client.invalidateQueries({ queryKey: ['run', runId] });
      void client.invalidateQueries({ queryKey: ['approvals'] });
    },
  });
  const reason = serverReason ?? refusalReason(me.data, gate, requestedBy);
  const id = `comment-${runId}-${gate.gateId}`;
  return (
    <div className="approval-actions" data-testid={`gate-${gate.gateId}`}>
      <p>
        Gate <strong>{gate.gateId}</strong>
        {gate.message ? <>: {gate.message}</> : null} · roles {gate.requiredRoles.join(', ')}
        {gate.fourEyes ? ' · four eyes' : ''} · {gate.status === 'pending' ? <Countdown until={gate.expiresAt} /> : gate.status}
      </p>
      {gate.status === 'pending' && (
        <>
          <label htmlFor={id}>Comment (optional)</label>
          <input id={id} value={comment} maxLength={2000} onChange={(e) => setComment(e.target.value)} disabled={reason !== undefined} />
          <div className="buttons">
            <button type="button" disabled={reason !== undefined || decide.isPending} onClick={() => decide.mutate('approve')} aria-describedby={reason ? `${id}-why` : undefined}>
              Approve
            </button>
            <button
              type="button"
              className="danger"
              disabled={reason !== undefined || decide.isPending}
              onClick={() => decide.mutate('reject')}
              aria-describedby={reason ? `${id}-why` : undefined}
            >
              Reject
            </button>
          </div>
          {reason && (
            <p id={`${id}-why`} className="reason" data-testid="refusal">
              {reason}
            </p>
          )}
        </>
      )}
      {decide.isSuccess && <p role="status">Decision recorded.</p>}
      <ErrorText error={decide.error} />
    </div>
  );
}
