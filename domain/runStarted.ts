import { eventDataBytes, MAX_EVENT_DATA_BYTES } from './eventPayload';
import type { NewEvent } from './events';
import type { RunInput } from './runState';

/**
 * A run's `run.started` event, defined once for its two writers. The workflow appends it as its
 * first event (workflows/runbookRun.ts). The client that started the run may append it as soon as
 * Temporal has accepted the start (temporal/runClient.ts `events`): from that moment the run exists
 * durably and will execute, and watchers see it without waiting for the first workflow task. Both
 * use the same dedupe key (`<runId>/run.started`, the key RunRuntime gives every run event), so
 * whichever comes second is a no-op and the log holds it once, at seq 1.
 */
export function runStartedData(input: Pick<RunInput, 'runbook' | 'params' | 'requestedBy' | 'parentRunId'>): Record<string, unknown> {
  return {
    runbook: input.runbook.name,
    params: input.params,
    requestedBy: input.requestedBy.sub,
    ...(input.parentRunId ? { parentRunId: input.parentRunId } : {}),
  };
}

/**
 * The event as the client appends it, or undefined when the params are too big for one event: the
 * workflow then fails the run with its own, truncated run.started (runbookRun.ts failOversizedRun).
 */
export function runStartedEvent(input: RunInput): NewEvent | undefined {
  const data = runStartedData(input);
  if (eventDataBytes(data) > MAX_EVENT_DATA_BYTES) return undefined;
  return { type: 'run.started', data: { runId: input.runId, ...data }, dedupeKey: `${input.runId}/run.started` };
}
