import { Router } from 'express';
import { z } from 'zod';
import { requireRole } from '../api/auth/middleware';
import { HttpProblem, parseOrThrow } from '../api/problem';
import { principalOf } from '../api/requestContext';
import { NoQuery } from '../api/schemas';
import { Role } from '../domain/roles';
import { SLACK_USER_ID, type SlackUsersMap } from './identity';
import type { SlackStore } from './slackStore';

/**
 * Admin-managed Slack identity mapping (`slack_users`): GET /slack/users, PUT and DELETE
 * /slack/users/:slackUserId. Entries from SLACK_USERS are listed (source `config`) but cannot be
 * changed here: configuration wins, so a PUT for one of them is a 409. Without Slack configured
 * every route is a 503, after the role check and validation (so a caller without the role learns nothing).
 */
export const SlackUserIdParam = z.strictObject({ slackUserId: z.string().regex(SLACK_USER_ID, 'must be a Slack user id (U… or W…)') });

export const SlackUserBody = z.strictObject({
  subject: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(200)
    .regex(/^[^\s:,=]+$/, 'must not contain spaces, ":", "," or "="'),
  roles: z.array(Role).min(1, 'must hold at least one role').max(4),
});

export interface SlackUserRoutesDeps {
  store: SlackStore | undefined;
  configured: SlackUsersMap;
}

export function slackUserRoutes({ store, configured }: SlackUserRoutesDeps): Router {
  const router = Router();
  const slack = (): SlackStore => {
    if (!store) throw new HttpProblem(503, 'slack-unavailable', 'Slack is not configured on this server (SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN)');
    return store;
  };

  router.get('/slack/users', requireRole('admin'), async (req, res) => {
    parseOrThrow(NoQuery, req.query, 'query');
    const fromConfig = [...configured.entries()].map(([slackUserId, p]) => ({ slackUserId, subject: p.sub, roles: p.roles, source: 'config' as const }));
    const fromTable = (await slack().listUsers())
      .filter((u) => !configured.has(u.slackUserId))
      .map((u) => ({ slackUserId: u.slackUserId, subject: u.subject, roles: u.roles, source: 'table' as const, updatedBy: u.updatedBy, updatedAt: u.updatedAt }));
    res.json({ items: [...fromConfig, ...fromTable].sort((a, b) => a.slackUserId.localeCompare(b.slackUserId)) });
  });

  router.put('/slack/users/:slackUserId', requireRole('admin'), async (req, res) => {
    const { slackUserId } = parseOrThrow(SlackUserIdParam, req.params, 'path');
    parseOrThrow(NoQuery, req.query, 'query');
    const body = parseOrThrow(SlackUserBody, req.body ?? {}, 'request body');
    if (configured.has(slackUserId)) {
      throw new HttpProblem(409, 'slack-user-configured', `${slackUserId} is mapped by SLACK_USERS, which the API cannot override`, [
        { path: 'path.slackUserId', message: 'is mapped by SLACK_USERS' },
      ]);
    }
    const { mapping, created } = await slack().putUser(slackUserId, body.subject, [...new Set(body.roles)], principalOf(res).sub);
    res.status(created ? 201 : 200).json({ ...mapping, source: 'table' });
  });

  router.delete('/slack/users/:slackUserId', requireRole('admin'), async (req, res) => {
    const { slackUserId } = parseOrThrow(SlackUserIdParam, req.params, 'path');
    parseOrThrow(NoQuery, req.query, 'query');
    if (!(await slack().deleteUser(slackUserId))) throw new HttpProblem(404, 'slack-user-not-found', `no mapping for ${slackUserId} in the table`);
    res.status(204).end();
  });

  return router;
}
