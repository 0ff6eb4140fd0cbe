import { Router } from 'express';
import { requireRole } from '../auth/middleware';
import type { ChatApi } from '../deps';
import { HttpProblem, parseOrThrow } from '../problem';
import { principalOf } from '../requestContext';
import { PagingQuery } from '../schemas';

/** GET /sessions: the caller's own chat sessions, newest first, paged through Temporal visibility. */
export const ListSessionsQuery = PagingQuery;

export function sessionListRoutes(chat: ChatApi | undefined): Router {
  const router = Router();
  router.get('/sessions', requireRole('viewer'), async (req, res) => {
    if (!chat) throw new HttpProblem(503, 'chat-unavailable', 'chat is not configured on this server');
    const query = parseOrThrow(ListSessionsQuery, req.query, 'query');
    res.json(await chat.sessions.list(principalOf(res).sub, query.limit, query.pageToken));
  });
  return router;
}
