import { Router } from 'express';
import { metricsAuthorised, metricsText, type MetricsSource } from '../../observability/metricsEndpoint';
import { HttpProblem } from '../problem';

/**
 * GET /metrics for Prometheus, beside the probes (outside /api/v1: scrapers do not hold user
 * tokens). Protected by METRICS_TOKEN when set; without it, bind the API to a private network or
 * put the scrape behind the ingress's own auth (documented in deploy/README.md).
 */
export function metricsRoute(source: MetricsSource): Router {
  const router = Router();
  router.get('/metrics', async (req, res) => {
    if (!metricsAuthorised(req.get('authorization'), source.token)) {
      throw new HttpProblem(401, 'unauthorized', 'this endpoint needs the METRICS_TOKEN bearer token', undefined, {
        'WWW-Authenticate': 'Bearer realm="copilot-metrics"',
      });
    }
    res.type(source.registry.contentType).send(await metricsText(source));
  });
  return router;
}
