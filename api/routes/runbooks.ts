import { Router } from 'express';
import { requireRole } from '../auth/middleware';
import type { RunbookSource } from '../deps';
import { HttpProblem, parseOrThrow } from '../problem';
import { NoQuery, RunbookNameParam } from '../schemas';

/** The read-only runbook catalogue. */
export function runbookRoutes(catalogue: RunbookSource): Router {
  const router = Router();

  router.get('/runbooks', requireRole('viewer'), (req, res) => {
    parseOrThrow(NoQuery, req.query, 'query');
    res.json({ items: catalogue.list() });
  });

  router.get('/runbooks/:name', requireRole('viewer'), (req, res) => {
    const { name } = parseOrThrow(RunbookNameParam, req.params, 'path');
    parseOrThrow(NoQuery, req.query, 'query');
    const definition = catalogue.get(name);
    if (!definition) throw new HttpProblem(404, 'runbook-not-found', `no runbook named "${name}" in the catalogue`);
    res.json(definition);
  });

  return router;
}
