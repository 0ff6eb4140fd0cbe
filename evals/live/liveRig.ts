import { startIncidentStack, TOKENS, WEBHOOK_TOKEN, type IncidentStack } from '../../test/incidents/support/incidentStack';
import { startLab, type Lab } from './lab';
import { BROKEN_VERSION, GOOD_VERSION, LAB_DEPLOY_RUNBOOK, type LiveCopilot } from './liveScenarios';

/**
 * One copilot (the real API with its Alertmanager webhook + a worker, test/incidents/support/
 * incidentStack.ts, on the servers globalSetup started) wired to one lab, shared by every live
 * scenario: by test/incidents/liveFaults.e2e.test.ts and by `npm run evals` (liveEval.ts).
 */
export interface LiveRig {
  stack: IncidentStack;
  lab: Lab;
  copilot: LiveCopilot;
  stop(): Promise<void>;
}

/** Healthy traffic before the first fault: each check compares the window after the alert with before it. */
const BASELINE_MS = 12_000;

export async function startLiveRig(): Promise<LiveRig> {
  const runbookEnv: Record<string, string> = {};
  // Rechecks every 3 s: a check right after the alert sees only a few seconds past its start.
  const stack = await startIncidentStack(
    'livefaults',
    { INCIDENT_RATE_WINDOW: '10s', INCIDENT_RECHECK_INTERVAL: '3s', INCIDENT_QUERY_BUDGET: '2000' },
    { worker: false, runbooks: [LAB_DEPLOY_RUNBOOK], runbookEnv },
  );
  let lab: Lab | undefined;
  try {
    lab = await startLab({ webhookUrl: `${stack.url}/api/v1/webhooks/alertmanager`, token: WEBHOOK_TOKEN, initialVersion: GOOD_VERSION, brokenVersions: [BROKEN_VERSION] });
    // The deploy runbook's http steps reach the demo storefront's deploy API.
    runbookEnv.DEPLOY_API_URL = lab.demo.deployApiUrl;
    stack.config.PROMETHEUS_URL = lab.prometheusUrl;
    await stack.startWorker();
    await new Promise((r) => setTimeout(r, BASELINE_MS));
  } catch (err) {
    await stack.close().catch(() => undefined);
    await lab?.stop().catch(() => undefined);
    throw err;
  }
  const started = lab;
  return {
    stack,
    lab: started,
    copilot: { call: (method, path, options) => stack.call(method, path, options), events: (id) => stack.events(id), tokens: { viewer: TOKENS.viewer, operator: TOKENS.operator } },
    async stop() {
      await stack.close().catch(() => undefined);
      await started.stop();
    },
  };
}
