import { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { SESSION_TERMINAL_EVENTS, sessionStreamId } from '../../chat/model/types';
import type { SessionService } from '../../chat/session/sessionService';
import { hasRole, type Principal } from '../../domain/roles';
import { requireRole } from '../auth/middleware';
import type { MemoryService } from '../../memory/memoryService';
import type { ChatApi, EventSubscriptions } from '../deps';
import type { EventStreams } from '../eventStreams';
import { HttpProblem, parseOrThrow } from '../problem';
import { principalOf } from '../requestContext';
import { EventsQuery, NoQuery, SessionIdParam } from '../schemas';
import { resumePoint, streamEvents } from './runEvents';

/**
 * Chat sessions: create, read (state and entities in focus), post messages (202 with the turn id,
 * or the final reply with ?wait=true), read the transcript, follow the SSE stream, end. A session
 * belongs to its creator: others get 404 (admins may read, not post). DELETE is the one handler of
 * its path: it ends the workflow and forgets the session's turns in every memory tier.
 */
export interface SessionRoutesDeps {
  chat: ChatApi | undefined;
  memory: MemoryService | undefined;
  fanout: EventSubscriptions;
  streams: EventStreams;
  heartbeatMs: number;
  replyWaitMs: number;
}

export { SessionIdParam };
/**
 * DELETE /sessions/:id forgets memory too, and memory keeps turns of sessions it was told about by
 * any plain id (not only chat's UUIDs): so this path takes a wider id than SessionIdParam, on purpose.
 */
export const ForgetSessionParam = z.strictObject({ id: z.string().regex(/^[A-Za-z0-9._:-]{1,200}$/, 'must be 1–200 of A-Z a-z 0-9 . _ : -') });
export const MessageBody = z.strictObject({ content: z.string().max(100_000, 'must be at most 100000 characters') });
export const MessageQuery = z.strictObject({ wait: z.enum(['true', 'false']).optional() });
export const HistoryQuery = z.strictObject({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export function sessionRoutes(deps: SessionRoutesDeps): Router {
  const router = Router();
  const service = (): SessionService => {
    if (!deps.chat) throw new HttpProblem(503, 'chat-unavailable', 'chat is not configured on this server');
    return deps.chat.sessions;
  };
  const available = (_req: Request, _res: Response, next: NextFunction) => {
    service();
    next();
  };

  /** The session if the caller may see it; a foreign session is indistinguishable from a missing one. */
  async function visible(id: string, principal: Principal, write: boolean) {
    const info = await service().info(id);
    const own = info?.owner === principal.sub;
    if (!info || (!own && !hasRole(principal, 'admin'))) throw new HttpProblem(404, 'session-not-found', `session ${id} does not exist`);
    if (write && !own) throw new HttpProblem(403, 'forbidden', `session ${id} belongs to ${info.owner}; only the owner may post`);
    return info;
  }

  router.post('/sessions', available, requireRole('viewer'), async (req, res) => {
    parseOrThrow(NoQuery, req.query, 'query');
    parseOrThrow(NoQuery, req.body ?? {}, 'request body');
    const { sessionId } = await service().create(principalOf(res));
    res
      .status(201)
      .location(`/api/v1/sessions/${sessionId}`)
      .json({ sessionId, links: { self: `/api/v1/sessions/${sessionId}`, messages: `/api/v1/sessions/${sessionId}/messages`, events: `/api/v1/sessions/${sessionId}/events` } });
  });

  router.get('/sessions/:id', available, requireRole('viewer'), async (req, res) => {
    const { id } = parseOrThrow(SessionIdParam, req.params, 'path');
    parseOrThrow(NoQuery, req.query, 'query');
    await visible(id, principalOf(res), false);
    res.json(await service().state(id));
  });

  router.post('/sessions/:id/messages', available, requireRole('viewer'), async (req, res) => {
    const { id } = parseOrThrow(SessionIdParam, req.params, 'path');
    const principal = principalOf(res);
    // Ownership is authorisation: settled before the query or body say anything.
    await visible(id, principal, true);
    const query = parseOrThrow(MessageQuery, req.query, 'query');
    const body = parseOrThrow(MessageBody, req.body ?? {}, 'request body');
    // A SessionError (ended, too long, queue full…) becomes its problem in api/errorHandler.ts.
    const sent = await service().send(id, principal, body.content);
    if (query.wait !== 'true') {
      res.status(202).json({ turnId: sent.turnId, links: { events: `/api/v1/sessions/${id}/events` } });
      return;
    }
    const reply = await service().waitForReply(id, sent.turnId, sent.afterSeq, deps.replyWaitMs);
    if (!reply) {
      res.status(202).json({ turnId: sent.turnId, pending: true });
      return;
    }
    const text = await service().restore(id, typeof reply.text === 'string' ? reply.text : '');
    res.status(200).json({ turnId: sent.turnId, reply: { ...reply, text } });
  });

  router.get('/sessions/:id/messages', available, requireRole('viewer'), async (req, res) => {
    const { id } = parseOrThrow(SessionIdParam, req.params, 'path');
    const query = parseOrThrow(HistoryQuery, req.query, 'query');
    await visible(id, principalOf(res), false);
    res.json(await service().history(id, query.after, query.limit));
  });

  router.get('/sessions/:id/events', available, requireRole('viewer'), async (req, res) => {
    const { id } = parseOrThrow(SessionIdParam, req.params, 'path');
    const afterSeq = resumePoint(req.get('last-event-id'), parseOrThrow(EventsQuery, req.query, 'query'));
    const info = await visible(id, principalOf(res), false);
    await streamEvents(req, res, deps, { streamId: sessionStreamId(id), afterSeq, closed: info.closed, terminalTypes: SESSION_TERMINAL_EVENTS });
  });

  // Ends the conversation (chat) and forgets its turns in every memory tier (memory), in one handler.
  router.delete('/sessions/:id', requireRole('viewer'), async (req, res) => {
    if (!deps.chat && !deps.memory) throw new HttpProblem(503, 'chat-unavailable', 'neither chat nor memory is configured on this server');
    const { id } = parseOrThrow(ForgetSessionParam, req.params, 'path');
    parseOrThrow(NoQuery, req.query, 'query');
    parseOrThrow(NoQuery, req.body ?? {}, 'request body');
    const principal = principalOf(res);
    const admin = hasRole(principal, 'admin');
    const info = deps.chat && SessionIdParam.safeParse({ id }).success ? await deps.chat.sessions.info(id) : undefined;
    if (info && info.owner !== principal.sub && !admin) throw new HttpProblem(404, 'session-not-found', `session ${id} does not exist`);
    const owner = deps.memory ? await deps.memory.sessionOwner(id) : undefined;
    if (!info && owner === undefined) throw new HttpProblem(404, 'session-not-found', `session ${id} does not exist`);
    if (owner !== undefined && owner !== principal.sub && !admin) {
      throw new HttpProblem(403, 'forbidden', `session ${id} belongs to someone else; forgetting it requires the "admin" role`);
    }
    if (info && !info.closed) await service().end(id, principal.sub);
    if (deps.memory) await deps.memory.forgetSession(id);
    res.status(204).end();
  });

  return router;
}
