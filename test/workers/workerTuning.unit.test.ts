import { ConfigError, loadConfig } from '../../config/env';
import { workerTuning } from '../../workers/workerTuning';

/** WORKER_* variables: parsed and checked by loadConfig, mapped to Worker.create options by workerTuning. */
function configError(env: Record<string, string>): { variable: string; message: string }[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

test('unset: no tuning, the SDK keeps its defaults', () => {
  expect(workerTuning(loadConfig({}))).toEqual({});
});

test('fixed slots, pollers and the sticky cache become Worker.create options', () => {
  const config = loadConfig({
    WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '120',
    WORKER_MAX_CONCURRENT_ACTIVITIES: '200',
    WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: '300',
    WORKER_WORKFLOW_TASK_POLLERS: '60',
    WORKER_ACTIVITY_TASK_POLLERS: 'auto',
    WORKER_MAX_CACHED_WORKFLOWS: '2000',
  });
  expect(workerTuning(config)).toEqual({
    maxConcurrentWorkflowTaskExecutions: 120,
    maxConcurrentActivityTaskExecutions: 200,
    maxConcurrentLocalActivityExecutions: 300,
    workflowTaskPollerBehavior: { type: 'simple-maximum', maximum: 60 },
    activityTaskPollerBehavior: { type: 'autoscaling' },
    maxCachedWorkflows: 2000,
  });
  expect(workerTuning(loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: '0' }))).toEqual({ maxCachedWorkflows: 0 });
});

test('the resource-based tuner replaces the slot counts', () => {
  const config = loadConfig({ WORKER_TUNER: 'resource-based', WORKER_TUNER_TARGET_MEMORY: '0.7', WORKER_WORKFLOW_TASK_POLLERS: '4' });
  expect(workerTuning(config)).toEqual({
    tuner: { tunerOptions: { targetMemoryUsage: 0.7, targetCpuUsage: 0.9 } },
    workflowTaskPollerBehavior: { type: 'simple-maximum', maximum: 4 },
  });
});

test('a bad value is refused with the variable named', () => {
  expect(configError({ WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: 'many' })).toEqual([{ variable: 'WORKER_MAX_CONCURRENT_WORKFLOW_TASKS', message: expect.any(String) }]);
  expect(configError({ WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '1' })[0]!.variable).toBe('WORKER_MAX_CONCURRENT_WORKFLOW_TASKS');
  expect(configError({ WORKER_MAX_CONCURRENT_ACTIVITIES: '0' })[0]!.variable).toBe('WORKER_MAX_CONCURRENT_ACTIVITIES');
  expect(configError({ WORKER_ACTIVITY_TASK_POLLERS: 'lots' })).toEqual([{ variable: 'WORKER_ACTIVITY_TASK_POLLERS', message: 'must be a number of pollers (1-9999) or "auto"' }]);
  expect(configError({ WORKER_MAX_CACHED_WORKFLOWS: '1' })).toEqual([{ variable: 'WORKER_MAX_CACHED_WORKFLOWS', message: 'must be 0 (no sticky cache) or at least 2' }]);
  expect(configError({ WORKER_TUNER: 'magic' })[0]!.variable).toBe('WORKER_TUNER');
  expect(configError({ WORKER_TUNER_TARGET_CPU: '1.5' })[0]!.variable).toBe('WORKER_TUNER_TARGET_CPU');
});

test('combinations the SDK would clamp or refuse are refused at start-up', () => {
  expect(configError({ WORKER_WORKFLOW_TASK_POLLERS: '50' })).toEqual([
    { variable: 'WORKER_WORKFLOW_TASK_POLLERS', message: 'must not exceed WORKER_MAX_CONCURRENT_WORKFLOW_TASKS (40): a poller needs a free slot' },
  ]);
  expect(configError({ WORKER_WORKFLOW_TASK_POLLERS: '1' })[0]!.variable).toBe('WORKER_WORKFLOW_TASK_POLLERS');
  expect(configError({ WORKER_MAX_CONCURRENT_ACTIVITIES: '5', WORKER_ACTIVITY_TASK_POLLERS: '10' })[0]).toEqual({
    variable: 'WORKER_ACTIVITY_TASK_POLLERS',
    message: 'must not exceed WORKER_MAX_CONCURRENT_ACTIVITIES (5): a poller needs a free slot',
  });
  expect(configError({ WORKER_MAX_CACHED_WORKFLOWS: '10', WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '20' })[0]!.variable).toBe('WORKER_MAX_CONCURRENT_WORKFLOW_TASKS');
  expect(configError({ WORKER_TUNER: 'resource-based', WORKER_MAX_CONCURRENT_ACTIVITIES: '50' })).toEqual([
    { variable: 'WORKER_MAX_CONCURRENT_ACTIVITIES', message: 'the resource-based tuner sizes task slots itself: unset it or use WORKER_TUNER=fixed' },
  ]);
});
