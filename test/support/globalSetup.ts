import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findTemporalCli } from '../../temporal/cliLocator';
import { startDevServer } from '../../temporal/devServer';
import { writeWorkflowBundle } from '../../workers/workflowBundle';
import { startPostgres, startPrometheus, startRedis } from './realServers';

/**
 * Starts the real servers once per test run and bundles workflow code once. Tests read:
 *   TEST_TEMPORAL_ADDRESS, TEST_DATABASE_URL, TEST_PROMETHEUS_URL, TEST_REDIS_URL, TEST_WORKFLOW_BUNDLE,
 *   TEMPORAL_CLI.
 */
export default async function globalSetup(): Promise<void> {
  const cliPath = findTemporalCli();
  const [temporal, postgres, prometheus, redis] = await Promise.all([startDevServer({ cliPath, uiPort: false }), startPostgres(), startPrometheus(), startRedis()]);
  // The same bundle as `npm run build:workflows` and the worker build (workers/workflowBundle.ts).
  const bundlePath = await writeWorkflowBundle(path.join(mkdtempSync(path.join(os.tmpdir(), 'copilot-bundle-')), 'workflows.js'));

  process.env.TEMPORAL_CLI = cliPath;
  process.env.TEST_TEMPORAL_ADDRESS = temporal.address;
  process.env.TEST_DATABASE_URL = postgres.url;
  process.env.TEST_PROMETHEUS_URL = prometheus.url;
  process.env.TEST_WORKFLOW_BUNDLE = bundlePath;
  process.env.TEST_REDIS_URL = redis.url;
  (globalThis as Record<string, unknown>).__copilotServers = [temporal, postgres, prometheus, redis];
}
