import { z } from 'zod';
import { ApprovalDecision } from '../domain/approval';
import { RunbookName } from '../domain/runbook';
import { RunStatus } from '../domain/runState';

/** Request shapes of the HTTP API. Strict objects: an unknown field is a 400 naming it. */

export const RunIdParam = z.object({
  runId: z.string().regex(/^run-[a-z0-9-]{1,80}$/, 'must look like "run-<id>" (lower-case letters, digits, "-")'),
});

export const GateParams = RunIdParam.extend({
  gateId: z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/, 'must be a step id (lower-case letters, digits, "_", "-")'),
});

/** A chat session id: the UUID the API gave the session (path `:id`, `sessionId` fields). */
export const SessionId = z.uuid('must be a session id (UUID)');
export const SessionIdParam = z.strictObject({ id: SessionId });

export const RunbookNameParam = z.object({ name: RunbookName });

export const IdempotencyKey = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9._:-]+$/, 'may contain only letters, digits, ".", "_", ":" and "-"');

export const StartRunBody = z
  .strictObject({
    runbook: RunbookName.optional(),
    definition: z.record(z.string(), z.unknown(), 'must be a runbook definition object').optional(),
    params: z.record(z.string(), z.unknown(), 'must be an object').default({}),
    idempotencyKey: IdempotencyKey.optional(),
  })
  .superRefine((body, ctx) => {
    if (body.runbook === undefined && body.definition === undefined) {
      ctx.addIssue({ code: 'custom', path: ['runbook'], message: 'give "runbook" (a catalogue name) or "definition" (an inline runbook)' });
    }
    if (body.runbook !== undefined && body.definition !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['definition'], message: 'give either "runbook" or "definition", not both' });
    }
  });
export type StartRunBody = z.infer<typeof StartRunBody>;

export const DecisionBody = z.strictObject({
  decision: ApprovalDecision,
  comment: z.string().max(2000).optional(),
  /** The plan digest the approver was shown (`approvals[].digest`); another gate plan answers 409 with the current one. */
  digest: z
    .string()
    .regex(/^sha256:[0-9a-f]{64}$/, 'must be a plan digest "sha256:<64 hex>"')
    .optional(),
  /** Values for the gate's declared `inputs` (approve only). */
  inputs: z.record(z.string(), z.unknown(), 'must be an object').optional(),
});

/** Paging through Temporal visibility: `limit` (1–100, default 20) and the previous page's `nextPageToken`. */
export const PagingQuery = z.strictObject({
  limit: z
    .string()
    .regex(/^\d{1,3}$/, 'must be an integer between 1 and 100')
    .transform(Number)
    .pipe(z.number().int().min(1, 'must be an integer between 1 and 100').max(100, 'must be an integer between 1 and 100'))
    .default(20),
  pageToken: z
    .string()
    .max(4096)
    .regex(/^[A-Za-z0-9_-]+$/, 'must be a nextPageToken from a previous page')
    .optional(),
});

export const ListRunsQuery = PagingQuery.extend({
  status: RunStatus.optional(),
  runbook: RunbookName.optional(),
  requester: z.string().min(1).max(200).optional(),
});

/** The SSE resume point: an event seq, from Last-Event-ID or ?lastEventId=. */
export const LastEventId = z
  .string()
  .regex(/^\d{1,15}$/, 'must be a non-negative integer (an event seq)')
  .transform(Number);

export const EventsQuery = z.strictObject({ lastEventId: LastEventId.optional() });

/** Empty query objects for routes that take none, so `?foo=1` is a 400 rather than silently ignored. */
export const NoQuery = z.strictObject({});
