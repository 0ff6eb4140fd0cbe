import { Router } from 'express';
import { openApiDocument } from '../openapi/document';
import { REFERENCE_CSP, REFERENCE_CSS, referencePage } from '../openapi/referencePage';

/**
 * The API's own description, readable without a token: it describes an open-source API and holds
 * no data (the operations it lists still need their tokens and roles).
 */
export function openApiRoutes(): Router {
  const router = Router();
  router.get('/api/v1/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });
  router.get('/api/v1/docs', (_req, res) => {
    res.setHeader('Content-Security-Policy', REFERENCE_CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.type('html').send(referencePage());
  });
  router.get('/api/v1/docs.css', (_req, res) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.type('css').send(REFERENCE_CSS);
  });
  return router;
}
