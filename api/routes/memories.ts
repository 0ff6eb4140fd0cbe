import { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { hasRole } from '../../domain/roles';
import type { MemoryService } from '../../memory/memoryService';
import { MemoryKind } from '../../memory/types';
import { requireRole } from '../auth/middleware';
import { HttpProblem, parseOrThrow } from '../problem';
import { principalOf } from '../requestContext';
import { NoQuery } from '../schemas';

/**
 * Users see and manage what is remembered: add (operator), search and read (viewer), delete
 * (the author, or an admin for anyone's). Forgetting a session is DELETE /sessions/:id, whose one
 * handler lives in sessions.ts.
 * Without a memory service (not configured) every route here is a 503 problem.
 */
export const MemoryScope = z.strictObject({
  team: z.string().trim().min(1).max(100).optional(),
  service: z.string().trim().min(1).max(200).optional(),
});

export const RememberBody = z.strictObject({
  text: z.string().trim().min(1, 'must not be empty').max(8000, 'must be at most 8000 characters'),
  kind: MemoryKind,
  scope: MemoryScope.optional(),
});

export const MemorySearchQuery = z.strictObject({
  q: z.string().trim().min(1, 'must not be empty').max(2000),
  kind: MemoryKind.optional(),
  service: z.string().trim().min(1).max(200).optional(),
  team: z.string().trim().min(1).max(100).optional(),
  limit: z.coerce.number().int().min(1).max(50).default(10),
});

export const MemoryIdParam = z.strictObject({ id: z.uuid('must be a memory id (UUID)') });

export interface MemoryRoutesDeps {
  memory: MemoryService | undefined;
}

export function memoryRoutes({ memory }: MemoryRoutesDeps): Router {
  const router = Router();
  const service = (): MemoryService => {
    if (!memory) throw new HttpProblem(503, 'memory-unavailable', 'memory is not configured on this server');
    return memory;
  };
  const available = (_req: Request, _res: Response, next: NextFunction) => {
    service();
    next();
  };

  router.post('/memories', available, requireRole('operator'), async (req, res) => {
    parseOrThrow(NoQuery, req.query, 'query');
    const body = parseOrThrow(RememberBody, req.body ?? {}, 'request body');
    const record = await service().remember({
      text: body.text,
      kind: body.kind,
      ...(body.scope ? { scope: body.scope } : {}),
      createdBy: principalOf(res).sub,
    });
    res.status(201).location(`/api/v1/memories/${record.id}`).json({ id: record.id });
  });

  // Before /memories/:id so "search" is not taken for an id.
  router.get('/memories/search', available, requireRole('viewer'), async (req, res) => {
    const query = parseOrThrow(MemorySearchQuery, req.query, 'query');
    const items = await service().search({
      q: query.q,
      limit: query.limit,
      ...(query.kind ? { kinds: [query.kind] } : {}),
      ...(query.service ? { service: query.service } : {}),
      ...(query.team ? { team: query.team } : {}),
    });
    res.json({ items });
  });

  router.get('/memories/:id', available, requireRole('viewer'), async (req, res) => {
    const { id } = parseOrThrow(MemoryIdParam, req.params, 'path');
    parseOrThrow(NoQuery, req.query, 'query');
    const record = await service().get(id);
    if (!record) throw new HttpProblem(404, 'memory-not-found', `no memory ${id}`);
    res.json({
      id: record.id,
      text: record.text,
      kind: record.kind,
      scope: { ...(record.scope.team ? { team: record.scope.team } : {}), ...(record.scope.service ? { service: record.scope.service } : {}) },
      createdBy: record.createdBy,
      createdAt: record.createdAt.toISOString(),
      expiresAt: record.expiresAt.toISOString(),
    });
  });

  router.delete('/memories/:id', available, requireRole('operator'), async (req, res) => {
    const { id } = parseOrThrow(MemoryIdParam, req.params, 'path');
    parseOrThrow(NoQuery, req.query, 'query');
    const principal = principalOf(res);
    const record = await service().get(id);
    if (!record) throw new HttpProblem(404, 'memory-not-found', `no memory ${id}`);
    if (record.createdBy !== principal.sub && !hasRole(principal, 'admin')) {
      throw new HttpProblem(403, 'forbidden', `memory ${id} was added by someone else; deleting it requires the "admin" role`);
    }
    await service().delete(id);
    res.status(204).end();
  });

  return router;
}
