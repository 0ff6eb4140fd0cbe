import { Router } from 'express';
import { z } from 'zod';
import { hasRole } from '../../domain/roles';
import { requireRole } from '../auth/middleware';
import type { ChatApi } from '../deps';
import { HttpProblem, parseOrThrow } from '../problem';
import { principalOf } from '../requestContext';
import { NoQuery, SessionId } from '../schemas';

/**
 * POST /api/v1/nlp/parse — the understanding engine for evaluation and tooling:
 * { text, sessionId? } → { intent: { type, confidence }, entities, queries, source }. With a
 * sessionId (the caller's own), references resolve against that session's entities in focus.
 */
export const ParseBody = z.strictObject({
  text: z.string().trim().min(1, 'must not be empty').max(4000, 'must be at most 4000 characters'),
  sessionId: SessionId.optional(),
});

export function nlpRoutes({ chat }: { chat: ChatApi | undefined }): Router {
  const router = Router();
  router.post('/nlp/parse', requireRole('viewer'), async (req, res) => {
    if (!chat) throw new HttpProblem(503, 'chat-unavailable', 'chat is not configured on this server');
    parseOrThrow(NoQuery, req.query, 'query');
    const body = parseOrThrow(ParseBody, req.body ?? {}, 'request body');
    let focus;
    if (body.sessionId) {
      const principal = principalOf(res);
      const info = await chat.sessions.info(body.sessionId);
      if (!info || (info.owner !== principal.sub && !hasRole(principal, 'admin'))) throw new HttpProblem(404, 'session-not-found', `session ${body.sessionId} does not exist`);
      focus = (await chat.sessions.state(body.sessionId)).focus;
    }
    const result = await chat.nlp.parse(body.text, focus ? { focus } : {});
    res.json({
      intent: { type: result.intent.type, confidence: result.intent.confidence },
      entities: result.entities.map((e) => ({ type: e.type, value: e.value, ...(e.text ? { text: e.text } : {}), ...(e.fromFocus ? { fromFocus: true } : {}) })),
      queries: result.queries.map((q) => ({
        language: q.language,
        query: q.query,
        valid: q.valid,
        ...(q.error ? { error: q.error } : {}),
        ...(q.description ? { description: q.description } : {}),
      })),
      source: result.source,
      ...(result.degraded ? { degraded: true, degradedReason: result.degradedReason } : {}),
    });
  });
  return router;
}
