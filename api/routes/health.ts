import { Router } from 'express';
import type { ReadinessChecks } from '../deps';

/**
 * Liveness and readiness, unauthenticated so orchestrators can probe them. Readiness runs every
 * check in parallel, each under its own deadline, so one hung dependency cannot hang the probe.
 */
export const READY_CHECK_TIMEOUT_MS = 2000;

interface CheckResult {
  status: 'up' | 'down';
  error?: string;
}

async function runCheck(check: () => Promise<void>, timeoutMs: number): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([check(), deadline]);
    return { status: 'up' };
  } catch (err) {
    // The message only: probes are public, so no stack traces or connection strings.
    return { status: 'down', error: err instanceof Error ? err.message.split('\n')[0] : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

export function healthRoutes(readiness: ReadinessChecks, timeoutMs = READY_CHECK_TIMEOUT_MS): Router {
  const router = Router();
  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/ready', async (_req, res) => {
    const [temporal, database] = await Promise.all([runCheck(() => readiness.temporal(), timeoutMs), runCheck(() => readiness.database(), timeoutMs)]);
    const ready = temporal.status === 'up' && database.status === 'up';
    res.status(ready ? 200 : 503).json({ status: ready ? 'ok' : 'unavailable', checks: { temporal, database } });
  });
  return router;
}
