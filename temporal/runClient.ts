import { createHash, randomUUID } from 'node:crypto';
import {
  ApplicationFailure,
  Client,
  ServiceError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type WorkflowExecutionInfo,
} from '@temporalio/client';
import { decodeTypedSearchAttributes } from '@temporalio/common/lib/converter/payload-search-attributes';
import { temporal } from '@temporalio/proto';
import { canonicalJson } from '../domain/canonicalJson';
import { CodedError } from '../domain/codedError';
import { APPROVAL_REJECTION, type DecideApprovalInput } from '../domain/approval';
import { PAUSE_REJECTION, type PauseRequest } from '../domain/pause';
import type { Principal } from '../domain/roles';
import type { EventStore } from '../domain/events';
import { runStaticDetails, runStaticSummary } from '../domain/runMetadata';
import { approvalDecidedEvent } from '../domain/approvalDecided';
import { appendRunEvents } from '../db/runEventAppend';
import { runStartedEvent } from '../domain/runStarted';
import type { RunbookDefinition } from '../domain/runbook';
import { RunStatus, TERMINAL_RUN_STATUSES, type ApprovalState, type RunInput, type RunState } from '../domain/runState';
import { decideApprovalUpdate, pauseRunUpdate, resumeRunUpdate, RUNBOOK_RUN_WORKFLOW, stateQuery } from '../workflows/definitions';
import { CopilotKind, RequestedBy, RunbookKey, RunStatusKey } from './searchAttributes';

/**
 * The one place that turns "run" operations into Temporal calls, shared by the HTTP API and chat.
 * Every Temporal failure a caller can cause is rethrown as a RunClientError with a `code`, so the
 * API maps codes to status codes and never guesses from error messages.
 */
export type RunClientErrorCode =
  | 'run_not_found'
  | 'run_closed'
  | 'idempotency_conflict'
  | 'gate_not_found'
  | 'already_decided'
  | 'approval_forbidden'
  | 'invalid_page_token'
  | 'not_pausable'
  | 'not_paused'
  | 'digest_mismatch'
  | 'invalid_inputs'
  | 'invalid_resume_params';

export class RunClientError extends CodedError<'run', RunClientErrorCode> {
  readonly family = 'run';
}

/** A decision made on another plan than the gate's current one; carries the digest to show instead. */
export class DigestMismatchError extends RunClientError {
  constructor(
    message: string,
    readonly currentDigest: string,
  ) {
    super('digest_mismatch', message);
  }
}

export interface StartRunRequest {
  runbook: RunbookDefinition;
  params: Record<string, unknown>;
  requestedBy: Principal;
  idempotencyKey?: string;
}

export interface StartRunResult {
  runId: string;
  /** false: the idempotency key matched an existing run, which is returned instead. */
  created: boolean;
  status: RunStatus;
  /** With an `eagerStartClient`: whether the server handed the run's first workflow task straight to the worker in this process. */
  eagerlyStarted?: boolean;
}

/** One row of a listing, from visibility (search attributes), not from the workflow itself. */
export interface RunSummary {
  runId: string;
  runbook: string;
  status: RunStatus;
  requestedBy: string;
  startTime: string;
  closeTime?: string;
}

export interface ListRunsRequest {
  status?: RunStatus;
  runbook?: string;
  /** Subject who requested the runs. */
  requestedBy?: string;
  /**
   * Runs on this deployment's task queue only (the default: the ones its workers can answer queries
   * for; another deployment sharing the namespace has its own). `false` lists the whole namespace.
   */
  ownTaskQueue?: boolean;
  pageSize: number;
  /** Opaque base64url token from a previous page. */
  nextPageToken?: string;
}

export interface RunClientOptions {
  client: Client;
  taskQueue: string;
  /**
   * A client on the NativeConnection of a worker in this process that polls `taskQueue` (dev mode,
   * the bench, any API that hosts its worker). Runs are then started with Temporal's eager workflow
   * start: the server persists the start exactly as always (history, id reuse policy, search
   * attributes, in the same transaction) and returns the first workflow task in the start response,
   * which the SDK hands to that worker instead of to the task queue's matching service. Only the
   * delivery of the first task changes, so durability is the same: a worker that dies holding it
   * lets it time out and the server dispatches it again, as for any polled task. The SDK asks for
   * eager dispatch only when it has reserved a free workflow-task slot on such a worker; otherwise the
   * start is an ordinary one. Separate API and worker processes leave this unset.
   */
  eagerStartClient?: Client;
  /**
   * The run event log. When given, a run this client starts gets its `run.started` event as soon as
   * Temporal has accepted the start, instead of after the first workflow task has been delivered and
   * run (domain/runStarted.ts: same event and dedupe key as the workflow's, so it is stored once).
   * The start is answered without waiting for this append. Likewise a decision this client sends
   * gets its `approval.decided` once the update is answered (domain/approvalDecided.ts), before
   * `decide` returns, so its caller reads the decision back at once. Unset, only the workflow
   * writes them.
   */
  events?: Pick<EventStore, 'append'>;
  /** Where a failed early append is reported (with the event's type); the workflow's own append still records the event. */
  onEventError?: (err: unknown, runId: string, eventType: string) => void;
}

const RUN_ID_PREFIX = 'run-';
const QUERY_TIMEOUT_MS = 10_000;

/** What makes two start requests "the same" for idempotency: the runbook and the params. */
export function requestHash(runbook: RunbookDefinition, params: Record<string, unknown>): string {
  const body = canonicalJson({ runbook: { name: runbook.name, definition: runbook }, params });
  return createHash('sha256').update(body).digest('hex');
}

/** Keyed runs get an id derived from (subject, key): a retry from the same caller lands on the same workflow. */
export function runIdFor(subject: string, idempotencyKey?: string): string {
  if (idempotencyKey === undefined) return RUN_ID_PREFIX + randomUUID();
  return RUN_ID_PREFIX + createHash('sha256').update(`${subject}\n${idempotencyKey}`).digest('hex').slice(0, 32);
}

/** Visibility query literals: double-quoted, with backslash and quote escaped. */
function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

const ExecutionStatus = temporal.api.enums.v1.WorkflowExecutionStatus;

/** By Temporal's execution status code (the proto enum the SDK's `status.code` and visibility both carry). */
const CLOSED_STATUS_FALLBACK: Partial<Record<temporal.api.enums.v1.WorkflowExecutionStatus, RunStatus>> = {
  [ExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED]: 'succeeded',
  [ExecutionStatus.WORKFLOW_EXECUTION_STATUS_FAILED]: 'failed',
  [ExecutionStatus.WORKFLOW_EXECUTION_STATUS_TIMED_OUT]: 'failed',
  [ExecutionStatus.WORKFLOW_EXECUTION_STATUS_CANCELED]: 'cancelled',
  [ExecutionStatus.WORKFLOW_EXECUTION_STATUS_TERMINATED]: 'cancelled',
};

interface ExecutionSummaryInput extends Pick<WorkflowExecutionInfo, 'workflowId' | 'startTime' | 'closeTime' | 'typedSearchAttributes'> {
  status: { code: temporal.api.enums.v1.WorkflowExecutionStatus };
}

/** Closed executions whose RunStatus attribute was never finalised (e.g. terminated from the UI) get
 * a status derived from Temporal's own execution status instead of a stale "running". */
function summaryFrom(info: ExecutionSummaryInput): RunSummary {
  const attrs = info.typedSearchAttributes;
  const recorded = RunStatus.safeParse(attrs.get(RunStatusKey));
  let status: RunStatus = recorded.success ? recorded.data : 'running';
  if (info.closeTime && !TERMINAL_RUN_STATUSES.includes(status)) {
    status = CLOSED_STATUS_FALLBACK[info.status.code] ?? 'failed';
  }
  return {
    runId: info.workflowId,
    runbook: attrs.get(RunbookKey) ?? '',
    status,
    requestedBy: attrs.get(RequestedBy) ?? '',
    startTime: info.startTime.toISOString(),
    ...(info.closeTime ? { closeTime: info.closeTime.toISOString() } : {}),
  };
}

export class RunClient {
  private readonly client: Client;
  private readonly taskQueue: string;
  private readonly eagerStartClient: Client | undefined;
  private readonly events: Pick<EventStore, 'append'> | undefined;
  private readonly onEventError: ((err: unknown, runId: string, eventType: string) => void) | undefined;

  constructor(options: RunClientOptions) {
    this.client = options.client;
    this.taskQueue = options.taskQueue;
    this.eagerStartClient = options.eagerStartClient;
    this.events = options.events;
    this.onEventError = options.onEventError;
  }

  async startRun(request: StartRunRequest): Promise<StartRunResult> {
    const runId = runIdFor(request.requestedBy.sub, request.idempotencyKey);
    const hash = requestHash(request.runbook, request.params);
    const input: RunInput = { runId, runbook: request.runbook, params: request.params, requestedBy: request.requestedBy };
    try {
      const handle = await (this.eagerStartClient ?? this.client).workflow.start(RUNBOOK_RUN_WORKFLOW, {
        ...(this.eagerStartClient ? { requestEagerStart: true } : {}),
        workflowId: runId,
        taskQueue: this.taskQueue,
        args: [input],
        // A workflow id is never reused, even after the run closed: a key names exactly one run.
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        memo: { requestHash: hash },
        // Temporal user metadata: the Workflows list says what each run is (runbook, service, version, environment, requester).
        staticSummary: runStaticSummary({ runbook: request.runbook, params: request.params, requestedBy: request.requestedBy.sub }),
        staticDetails: runStaticDetails({ runbook: request.runbook, params: request.params, requestedBy: request.requestedBy.sub }),
        typedSearchAttributes: [
          { key: CopilotKind, value: 'runbook' },
          { key: RunbookKey, value: request.runbook.name },
          { key: RunStatusKey, value: 'running' },
          { key: RequestedBy, value: request.requestedBy.sub },
        ],
      });
      // Not awaited: the answer does not wait for the log (measured: the POST's p95 doubled when it did).
      void this.recordStarted(input);
      return { runId, created: true, status: 'running', ...(this.eagerStartClient ? { eagerlyStarted: handle.eagerlyStarted } : {}) };
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError) || request.idempotencyKey === undefined) throw err;
    }
    const existing = await this.client.workflow.getHandle(runId).describe();
    if (existing.memo?.requestHash !== hash) {
      throw new RunClientError('idempotency_conflict', 'this idempotencyKey was already used for a run with a different runbook or params');
    }
    return { runId, created: false, status: summaryFrom(existing).status };
  }

  /** Appends run.started for a run Temporal has just accepted; never fails the start (the workflow appends it too). */
  private async recordStarted(input: RunInput): Promise<void> {
    const event = this.events ? runStartedEvent(input) : undefined;
    if (!event) return;
    try {
      await this.events!.append(input.runId, [event]);
    } catch (err) {
      this.onEventError?.(err, input.runId, event.type);
    }
  }

  /** Appends approval.decided for a decision the run has just applied; never fails the decision (the workflow appends it too). */
  private async recordDecided(runId: string, gate: ApprovalState): Promise<void> {
    const event = this.events ? approvalDecidedEvent(runId, gate) : undefined;
    if (!event) return;
    try {
      await appendRunEvents(this.events!, runId, [event]);
    } catch (err) {
      this.onEventError?.(err, runId, event.type);
    }
  }

  /** The workflow's live `state` query: the same JSON as GET /api/v1/runs/:runId. */
  async getState(runId: string): Promise<RunState> {
    try {
      // Queries need a worker; without one the call would wait indefinitely.
      const handle = this.client.workflow.getHandle(runId);
      return await this.client.connection.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () => handle.query(stateQuery));
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new RunClientError('run_not_found', `run ${runId} does not exist`);
      throw err;
    }
  }

  async describeRun(runId: string): Promise<RunSummary | undefined> {
    try {
      return summaryFrom(await this.client.workflow.getHandle(runId).describe());
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
  }

  async exists(runId: string): Promise<boolean> {
    return (await this.describeRun(runId)) !== undefined;
  }

  /** Pages through visibility directly: the SDK's list() iterator hides the page token. */
  async listRuns(request: ListRunsRequest): Promise<{ items: RunSummary[]; nextPageToken?: string }> {
    const clauses = [`CopilotKind = ${quote('runbook')}`];
    if (request.status) clauses.push(`RunStatus = ${quote(request.status)}`);
    if (request.runbook) clauses.push(`Runbook = ${quote(request.runbook)}`);
    if (request.requestedBy) clauses.push(`RequestedBy = ${quote(request.requestedBy)}`);
    if (request.ownTaskQueue !== false) clauses.push(`TaskQueue = ${quote(this.taskQueue)}`);
    const pageToken = request.nextPageToken ? decodePageToken(request.nextPageToken) : undefined;
    let response;
    try {
      response = await this.client.workflowService.listWorkflowExecutions({
        namespace: this.client.options.namespace,
        query: clauses.join(' AND '),
        pageSize: request.pageSize,
        nextPageToken: pageToken,
      });
    } catch (err) {
      // gRPC INVALID_ARGUMENT: the only caller-supplied opaque input here is the page token.
      if (request.nextPageToken && (err as { code?: number }).code === 3) {
        throw new RunClientError('invalid_page_token', 'pageToken is not a token this server issued');
      }
      throw err;
    }
    const items = response.executions.map((raw) =>
      summaryFrom({
        workflowId: raw.execution?.workflowId ?? '',
        status: { code: raw.status ?? ExecutionStatus.WORKFLOW_EXECUTION_STATUS_UNSPECIFIED },
        startTime: timestampToDate(raw.startTime) ?? new Date(0),
        closeTime: timestampToDate(raw.closeTime),
        typedSearchAttributes: decodeTypedSearchAttributes(raw.searchAttributes?.indexedFields),
      }),
    );
    const token = response.nextPageToken;
    return token && token.length > 0 ? { items, nextPageToken: Buffer.from(token).toString('base64url') } : { items };
  }

  /**
   * Validated by the workflow's update validator, so a refused decision leaves no trace in history.
   * Returns once the decision is in the run's history and, with `events`, in its event log.
   */
  async decide(runId: string, decision: DecideApprovalInput): Promise<ApprovalState> {
    let gate: ApprovalState;
    try {
      gate = await this.client.workflow.getHandle(runId).executeUpdate(decideApprovalUpdate, { args: [decision] });
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
        const message = err.cause.message;
        if (err.cause.type === APPROVAL_REJECTION.unknownGate) throw new RunClientError('gate_not_found', message);
        if (err.cause.type === APPROVAL_REJECTION.alreadyDecided) throw new RunClientError('already_decided', message);
        if (err.cause.type === APPROVAL_REJECTION.forbidden) throw new RunClientError('approval_forbidden', message);
        if (err.cause.type === APPROVAL_REJECTION.digestMismatch) {
          const details = err.cause.details?.[0] as { currentDigest?: string } | undefined;
          throw new DigestMismatchError(message, details?.currentDigest ?? '');
        }
        if (err.cause.type === APPROVAL_REJECTION.invalidInputs) throw new RunClientError('invalid_inputs', message);
      }
      throw await this.explainMissing(runId, err);
    }
    await this.recordDecided(runId, gate);
    return gate;
  }

  /** Pauses a run (`pauseRun` update, validated by the workflow): no new step starts until resumed. */
  async pause(runId: string, request: PauseRequest): Promise<RunState> {
    return this.pauseUpdate(runId, pauseRunUpdate, request);
  }

  /** Resumes a paused run; steps an immediate pause cancelled run again. */
  async resume(runId: string, request: PauseRequest): Promise<RunState> {
    return this.pauseUpdate(runId, resumeRunUpdate, request);
  }

  private async pauseUpdate(runId: string, update: typeof pauseRunUpdate, request: PauseRequest): Promise<RunState> {
    try {
      return await this.client.workflow.getHandle(runId).executeUpdate(update, { args: [request] });
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
        if (err.cause.type === PAUSE_REJECTION.notRunning) throw new RunClientError('not_pausable', err.cause.message);
        if (err.cause.type === PAUSE_REJECTION.notPaused) throw new RunClientError('not_paused', err.cause.message);
        if (err.cause.type === PAUSE_REJECTION.paramsInvalid) throw new RunClientError('invalid_resume_params', err.cause.message);
      }
      throw await this.explainMissing(runId, err);
    }
  }

  /** Requests cancellation; the workflow compensates and emits run.cancelled itself. */
  async cancel(runId: string): Promise<void> {
    const run = await this.describeRun(runId);
    if (!run) throw new RunClientError('run_not_found', `run ${runId} does not exist`);
    if (run.closeTime) throw new RunClientError('run_closed', `run ${runId} has already finished (${run.status})`);
    try {
      await this.client.workflow.getHandle(runId).cancel();
    } catch (err) {
      throw await this.explainMissing(runId, err);
    }
  }

  /** The server answers NOT_FOUND both for unknown and for closed workflows; describe tells them apart. */
  private async explainMissing(runId: string, err: unknown): Promise<unknown> {
    if (!(err instanceof WorkflowNotFoundError) && !(err instanceof ServiceError)) return err;
    const run = await this.describeRun(runId);
    if (!run) return new RunClientError('run_not_found', `run ${runId} does not exist`);
    if (run.closeTime) return new RunClientError('run_closed', `run ${runId} has already finished (${run.status})`);
    return err;
  }
}

/**
 * Temporal's visibility page tokens are JSON. Anything else is refused here: the server answers a
 * garbage token with UNKNOWN, which the SDK retries for many seconds before giving up.
 */
export function decodePageToken(token: string): Buffer {
  const bytes = Buffer.from(token, 'base64url');
  try {
    const parsed: unknown = JSON.parse(bytes.toString('utf8'));
    if (parsed !== null && typeof parsed === 'object') return bytes;
  } catch {
    // fall through
  }
  throw new RunClientError('invalid_page_token', 'pageToken is not a token this server issued');
}

export function timestampToDate(ts: { seconds?: { toNumber(): number } | number | null; nanos?: number | null } | null | undefined): Date | undefined {
  if (!ts || ts.seconds == null) return undefined;
  const seconds = typeof ts.seconds === 'number' ? ts.seconds : ts.seconds.toNumber();
  return new Date(seconds * 1000 + Math.floor((ts.nanos ?? 0) / 1e6));
}
