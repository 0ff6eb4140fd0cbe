/**
 * The named types of permanent failures raised when data cannot be stored or an activity's input
 * is malformed. One table, shared by the data layer (which classifies), activities (which raise
 * `ApplicationFailure.nonRetryable(message, type)`) and workflows (which recognise them and fail
 * the step, turn or note with an event instead of waiting on a retry that cannot succeed).
 * Pure: workflows import it at run time.
 */
export const PERMANENT_FAILURE = {
  /** The database refused a value (SQLSTATE class 22: bad encoding, bad escape, bad jsonb…). */
  invalidData: 'InvalidData',
  /** The database refused a value as too large (22001 string too long, 54000 program limit). */
  dataTooLarge: 'DataTooLarge',
  /** The event store refused an event as malformed (EventValidationError). */
  eventRejected: 'EventRejected',
  /** The event store refused an event as larger than its per-event cap. */
  eventTooLarge: 'EventTooLarge',
  /** An activity's input failed its schema (zod). */
  invalidActivityInput: 'InvalidActivityInput',
  /** A run whose params cannot fit its run.started event: the run fails before any step. */
  runParamsTooLarge: 'RunParamsTooLarge',
  /** An incident note or feedback that could not be stored (incident.note.rejected). */
  noteRejected: 'NoteRejected',
} as const;

export type PermanentFailureType = (typeof PERMANENT_FAILURE)[keyof typeof PERMANENT_FAILURE];

/** For `retry.nonRetryableErrorTypes` and for workflows asking "will a retry ever help?". */
export const PERMANENT_FAILURE_TYPES: readonly PermanentFailureType[] = Object.values(PERMANENT_FAILURE);

export function isPermanentFailureType(type: string | undefined | null): type is PermanentFailureType {
  return typeof type === 'string' && (PERMANENT_FAILURE_TYPES as readonly string[]).includes(type);
}

/**
 * The permanent failure behind an error, if any: walks `cause` (ActivityFailure → ApplicationFailure)
 * by shape, so workflows can use it without importing the classes.
 */
export function permanentFailureOf(err: unknown): { type: PermanentFailureType; message: string } | undefined {
  for (let e = err as { type?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.type === 'string' && isPermanentFailureType(e.type)) return { type: e.type, message: typeof e.message === 'string' ? e.message : e.type };
  }
  return undefined;
}

/**
 * Failure types raised by the step activities (command, http, query, assert, child-runbook look-up).
 * They reach `step.failed` events, the Temporal UI and retry policies by these names: never rename one.
 */
export const STEP_FAILURE = {
  /** Anything else a step threw; the type of a failure that had none. */
  failed: 'StepFailed',
  assertionInvalid: 'AssertionInvalid',
  assertionFailed: 'AssertionFailed',
  invalidCommand: 'InvalidCommand',
  commandNotAllowed: 'CommandNotAllowed',
  commandNotFound: 'CommandNotFound',
  commandFailed: 'CommandFailed',
  commandCancelled: 'CommandCancelled',
  invalidRequest: 'InvalidRequest',
  httpUnavailable: 'HttpUnavailable',
  httpTransientStatus: 'HttpTransientStatus',
  httpUnexpectedStatus: 'HttpUnexpectedStatus',
  backendNotConfigured: 'BackendNotConfigured',
  backendUnavailable: 'BackendUnavailable',
  queryInvalid: 'QueryInvalid',
  runbookNotFound: 'RunbookNotFound',
} as const;

/** Failure types the runbookRun workflow raises itself (its own failure, a gate's, a refused update). */
export const RUN_FAILURE = {
  runbookFailed: 'RunbookFailed',
  approvalNotGranted: 'ApprovalNotGranted',
  invalidDecision: 'InvalidDecision',
} as const;

/** Failure types of the incident activities. */
export const INCIDENT_FAILURE = {
  /** The incident manager refused the call for good (4xx other than 429): retrying cannot help. */
  managerRefused: 'IncidentManagerRefused',
} as const;
