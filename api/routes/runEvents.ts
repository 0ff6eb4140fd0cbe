import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { TERMINAL_EVENT_TYPES, type StoredEvent } from '../../domain/events';
import { requireRole } from '../auth/middleware';
import type { EventSubscriptions, RunOperations } from '../deps';
import { eventFrame, startSseResponse, type EventStreams, type SseResponse } from '../eventStreams';
import { HttpProblem, parseOrThrow } from '../problem';
import { loggerOf } from '../requestContext';
import { EventsQuery, LastEventId, RunIdParam } from '../schemas';

/**
 * GET /api/v1/runs/:runId/events — the run's durable event log over SSE. The stream replays events
 * after the client's resume point (Last-Event-ID header, or ?lastEventId= for clients that cannot set
 * headers), then follows live ones, and ends right after the terminal event. Event ids are the
 * store's gapless `seq`, so a resumed client gets exactly what it missed.
 */
export interface RunEventRoutesDeps {
  runs: Pick<RunOperations, 'describeRun'>;
  fanout: EventSubscriptions;
  streams: EventStreams;
  heartbeatMs: number;
  /** How long a closed run's replay may stay quiet before we conclude there is nothing left to send. */
  closedRunSettleMs?: number;
}

const LastEventIdHeader = z.object({ 'Last-Event-ID': LastEventId });

export function resumePoint(header: string | undefined, query: { lastEventId?: number }): number {
  if (header !== undefined) return parseOrThrow(LastEventIdHeader, { 'Last-Event-ID': header }, 'headers')['Last-Event-ID'];
  return query.lastEventId ?? 0;
}

export function runEventRoutes(deps: RunEventRoutesDeps): Router {
  const router = Router();
  router.get('/runs/:runId/events', requireRole('viewer'), async (req, res) => {
    const { runId } = parseOrThrow(RunIdParam, req.params, 'path');
    const afterSeq = resumePoint(req.get('last-event-id'), parseOrThrow(EventsQuery, req.query, 'query'));
    const run = await deps.runs.describeRun(runId);
    if (!run) throw new HttpProblem(404, 'run-not-found', `run ${runId} does not exist`);
    await streamEvents(req, res, deps, {
      streamId: runId,
      afterSeq,
      closed: Boolean(run.closeTime),
      terminalTypes: TERMINAL_EVENT_TYPES,
      isClosed: async () => Boolean((await deps.runs.describeRun(runId))?.closeTime),
    });
  });

  return router;
}

/**
 * Serves one durable event stream over SSE (shared by runs and incidents): replay after `afterSeq`,
 * then live events, ending right after a terminal event. A closed stream with nothing left is 204.
 */
export interface EventStreamTarget {
  streamId: string;
  afterSeq: number;
  /** The producer has finished (workflow closed): everything is already stored. */
  closed: boolean;
  terminalTypes: readonly string[];
  /**
   * Asked on every heartbeat while the stream is open: a workflow terminated from the Temporal UI
   * never writes a terminal event, so the stream ends once its producer is gone.
   */
  isClosed?: () => Promise<boolean>;
}

export async function streamEvents(
  req: Request,
  res: Response,
  deps: Pick<RunEventRoutesDeps, 'fanout' | 'streams' | 'heartbeatMs' | 'closedRunSettleMs'>,
  target: EventStreamTarget,
): Promise<void> {
  const settleMs = deps.closedRunSettleMs ?? 750;
  const { streamId, afterSeq, terminalTypes } = target;
  const log = loggerOf(res);
  // Subscribe before the response starts, buffering, so nothing is lost while the session opens
  // and a closed run can be answered with 204 when nothing is left to send.
  const pending: StoredEvent[] = [];
  let session: SseResponse | undefined = undefined; // set once the response has started
  let lastSent = afterSeq;
  let sawTerminal = false;
  let ended = false;
  let onActivity: (() => void) | undefined;

  const send = (event: StoredEvent): void => {
    if (ended || event.seq <= lastSent) return; // never a duplicate, even if a source repeats
    lastSent = event.seq;
    session!.write(eventFrame(event)); // serialised once per event, shared by every stream
    if (terminalTypes.includes(event.type)) end();
  };
  const subscription = deps.fanout.subscribe(streamId, afterSeq, (event) => {
    if (terminalTypes.includes(event.type)) sawTerminal = true;
    if (session) send(event);
    else pending.push(event);
    onActivity?.();
  });
  const unregister = deps.streams.add(() => end());
  function end(): void {
    if (ended) return;
    ended = true;
    subscription.close();
    unregister();
    session?.stop();
    if (!res.writableEnded) res.end();
  }
  res.once('close', end);

  if (target.closed) {
    // A closed run's events are all stored: wait for the replay to deliver the terminal event, or
    // to go quiet. Nothing at all means the client has everything: 204 tells EventSource to stop.
    await new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout;
      const arm = () => {
        clearTimeout(timer);
        if (sawTerminal || ended) return resolve();
        timer = setTimeout(resolve, settleMs);
      };
      onActivity = arm;
      arm();
    });
    onActivity = undefined;
    if (ended) return;
    if (pending.length === 0) {
      res.status(204);
      end();
      return;
    }
  }

  // On every heartbeat, the producer check: shared by all streams of this id (one describe per
  // interval, not one per client), and the stream ends a settle delay after the producer closed.
  const { isClosed } = target;
  let closing = false;
  const checkProducer = (): void => {
    if (!isClosed || closing || ended) return;
    deps.streams.producerClosed(streamId, isClosed, Math.min(1000, deps.heartbeatMs / 2)).then(
      (closed) => {
        if (!closed || closing || ended) return;
        closing = true;
        setTimeout(end, settleMs).unref();
      },
      () => undefined, // Temporal unreachable: keep streaming, ask again next time
    );
  };
  if (ended) return; // the client went away while we waited
  session = startSseResponse(res, { heartbeatMs: deps.heartbeatMs, retryMs: 2000, onHeartbeat: checkProducer, maxBufferedBytes: deps.streams.maxBufferedBytes });
  log.debug({ streamId, afterSeq }, 'event stream opened');
  for (const event of pending.splice(0)) send(event);
  // A closed run whose log has no terminal event (e.g. terminated from the Temporal UI) ends here.
  if (target.closed && !ended) end();
}
