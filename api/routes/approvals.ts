import { Router } from 'express';
import { z } from 'zod';
import { APPROVALS_STREAM_ID } from '../../domain/approvalFeed';
import { pendingApprovals } from '../approvalInbox';
import { requireRole } from '../auth/middleware';
import type { EventLogPosition, EventSubscriptions, RunbookSource, RunOperations } from '../deps';
import type { EventStreams } from '../eventStreams';
import { parseOrThrow } from '../problem';
import { principalOf } from '../requestContext';
import { EventsQuery } from '../schemas';
import { resumePoint, streamEvents } from './runEvents';

/**
 * The approvals inbox: GET /approvals (every gate waiting now, newest first, each with whether the
 * caller may decide it and why not), and GET /approvals/events, an SSE stream of the approvals feed
 * (domain/approvalFeed.ts) that tells open consoles when a gate opens, is decided from any surface,
 * or goes away with its run. A client without a resume point starts at the feed's current end.
 */
export interface ApprovalRoutesDeps {
  runs: RunOperations;
  catalogue: RunbookSource;
  fanout: EventSubscriptions;
  eventLog: EventLogPosition | undefined;
  streams: EventStreams;
  heartbeatMs: number;
}

export const ApprovalsQuery = z.strictObject({
  decidable: z.enum(['true', 'false'], 'must be "true" (only gates the caller may decide) or "false"').optional(),
});

export function approvalRoutes(deps: ApprovalRoutesDeps): Router {
  const router = Router();

  router.get('/approvals', requireRole('viewer'), async (req, res) => {
    const query = parseOrThrow(ApprovalsQuery, req.query, 'query');
    const page = await pendingApprovals(principalOf(res), deps.runs, deps.catalogue);
    res.json(query.decidable === 'true' ? { ...page, items: page.items.filter((i) => i.canDecide) } : page);
  });

  router.get('/approvals/events', requireRole('viewer'), async (req, res) => {
    const query = parseOrThrow(EventsQuery, req.query, 'query');
    const header = req.get('last-event-id');
    const given = header !== undefined || query.lastEventId !== undefined;
    const afterSeq = given ? resumePoint(header, query) : ((await deps.eventLog?.lastSeq(APPROVALS_STREAM_ID)) ?? 0);
    await streamEvents(req, res, deps, { streamId: APPROVALS_STREAM_ID, afterSeq, closed: false, terminalTypes: [] });
  });

  return router;
}
