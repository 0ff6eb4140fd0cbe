import type { Client } from '@temporalio/client';
import { Gauge, type Registry } from 'prom-client';

/**
 * Open runs and stuck runs, counted by Temporal visibility at scrape time: cluster-wide and exact
 * whichever replica is scraped and however often workers restarted (an in-process gauge would
 * forget runs opened before a restart). Three count RPCs per scrape; a failed count leaves the
 * gauge at its last value rather than failing the scrape.
 */
export interface TemporalGaugeOptions {
  client: Client;
  /** A run in status running (not at a gate) for longer than this counts as stuck. */
  stuckAfterMs: number;
  now?: () => number;
  onError?: (err: unknown) => void;
}

const OPEN = `CopilotKind = 'runbook' AND ExecutionStatus = 'Running'`;

async function count(client: Client, query: string): Promise<number> {
  const { count: n } = await client.workflowService.countWorkflowExecutions({ namespace: client.options.namespace, query });
  return Number(n ?? 0);
}

export function registerTemporalGauges(registry: Registry, options: TemporalGaugeOptions): void {
  if (registry.getSingleMetric('copilot_runs_in_progress')) registry.removeSingleMetric('copilot_runs_in_progress');
  if (registry.getSingleMetric('copilot_runs_stuck')) registry.removeSingleMetric('copilot_runs_stuck');
  const now = options.now ?? Date.now;
  const guarded = async (work: () => Promise<void>) => {
    try {
      await work();
    } catch (err) {
      options.onError?.(err);
    }
  };
  new Gauge({
    name: 'copilot_runs_in_progress',
    help: 'Open runbook runs by status (running, waiting_approval), from Temporal visibility',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      await guarded(async () => {
        const [running, waiting] = await Promise.all([
          count(options.client, `${OPEN} AND RunStatus = 'running'`),
          count(options.client, `${OPEN} AND RunStatus = 'waiting_approval'`),
        ]);
        this.set({ status: 'running' }, running);
        this.set({ status: 'waiting_approval' }, waiting);
      });
    },
  });
  new Gauge({
    name: 'copilot_runs_stuck',
    help: 'Runs in status running (not waiting at a gate) for longer than METRICS_STUCK_RUN_AFTER, from Temporal visibility',
    registers: [registry],
    async collect() {
      await guarded(async () => {
        const since = new Date(now() - options.stuckAfterMs).toISOString();
        this.set(await count(options.client, `${OPEN} AND RunStatus = 'running' AND StartTime < '${since}'`));
      });
    },
  });
}
