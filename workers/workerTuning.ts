import type { WorkerOptions } from '@temporalio/worker';
import type { AppConfig } from '../config/env';

/** The worker options the WORKER_* variables control (config/env.ts validates them; workers/README.md documents them). */
export type WorkerTuning = Partial<
  Pick<
    WorkerOptions,
    | 'maxConcurrentWorkflowTaskExecutions'
    | 'maxConcurrentActivityTaskExecutions'
    | 'maxConcurrentLocalActivityExecutions'
    | 'workflowTaskPollerBehavior'
    | 'activityTaskPollerBehavior'
    | 'maxCachedWorkflows'
    | 'tuner'
  >
>;

type TuningConfig = Pick<
  AppConfig,
  | 'WORKER_MAX_CONCURRENT_WORKFLOW_TASKS'
  | 'WORKER_MAX_CONCURRENT_ACTIVITIES'
  | 'WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES'
  | 'WORKER_WORKFLOW_TASK_POLLERS'
  | 'WORKER_ACTIVITY_TASK_POLLERS'
  | 'WORKER_MAX_CACHED_WORKFLOWS'
  | 'WORKER_TUNER'
  | 'WORKER_TUNER_TARGET_MEMORY'
  | 'WORKER_TUNER_TARGET_CPU'
>;

function pollerBehavior(value: number | 'auto'): NonNullable<WorkerOptions['workflowTaskPollerBehavior']> {
  return value === 'auto' ? { type: 'autoscaling' } : { type: 'simple-maximum', maximum: value };
}

/**
 * Maps the configuration to Worker.create options. Only what is set is passed, so an unset variable
 * keeps the SDK's default (40 workflow task slots, 100 activity and 100 local activity slots, 10
 * pollers of each kind, a sticky cache sized from the heap).
 */
export function workerTuning(config: TuningConfig): WorkerTuning {
  const tuning: WorkerTuning = {};
  if (config.WORKER_TUNER === 'resource-based') {
    // Slots follow the process' memory and CPU; the SDK refuses fixed slot counts next to a tuner.
    tuning.tuner = { tunerOptions: { targetMemoryUsage: config.WORKER_TUNER_TARGET_MEMORY, targetCpuUsage: config.WORKER_TUNER_TARGET_CPU } };
  } else {
    if (config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS !== undefined) tuning.maxConcurrentWorkflowTaskExecutions = config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS;
    if (config.WORKER_MAX_CONCURRENT_ACTIVITIES !== undefined) tuning.maxConcurrentActivityTaskExecutions = config.WORKER_MAX_CONCURRENT_ACTIVITIES;
    if (config.WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES !== undefined) tuning.maxConcurrentLocalActivityExecutions = config.WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES;
  }
  if (config.WORKER_WORKFLOW_TASK_POLLERS !== undefined) tuning.workflowTaskPollerBehavior = pollerBehavior(config.WORKER_WORKFLOW_TASK_POLLERS);
  if (config.WORKER_ACTIVITY_TASK_POLLERS !== undefined) tuning.activityTaskPollerBehavior = pollerBehavior(config.WORKER_ACTIVITY_TASK_POLLERS);
  if (config.WORKER_MAX_CACHED_WORKFLOWS !== undefined) tuning.maxCachedWorkflows = config.WORKER_MAX_CACHED_WORKFLOWS;
  return tuning;
}
