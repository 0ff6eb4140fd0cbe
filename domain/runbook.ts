import { z } from 'zod';
import { Duration } from './duration';
import { Role } from './roles';

/**
 * The runbook DSL. A definition that passes `RunbookDefinition.parse` is structurally valid;
 * runbookValidator.ts adds the checks a schema cannot express (needs, cycles, CEL syntax).
 *
 * String values anywhere in a step may contain `${{ <CEL expression> }}` templates evaluated
 * against { params, steps, env, item, index } at the time the step runs. Values are substituted
 * as data: commands are argv arrays, never shell strings.
 */

export const ParamSpec = z
  .object({
    type: z.enum(['string', 'number', 'integer', 'boolean', 'array', 'object']),
    description: z.string().optional(),
    required: z.boolean().default(false),
    default: z.unknown().optional(),
    enum: z
      .array(z.union([z.string(), z.number()]))
      .min(1)
      .optional(),
    pattern: z.string().optional(),
    minimum: z.number().optional(),
    maximum: z.number().optional(),
  })
  .strict();
export type ParamSpec = z.infer<typeof ParamSpec>;

export const RetrySpec = z
  .object({
    maxAttempts: z.number().int().min(1).max(100).default(3),
    initialInterval: Duration.default('1s'),
    backoffCoefficient: z.number().min(1).max(10).default(2),
    maximumInterval: Duration.optional(),
  })
  .strict();
export type RetrySpec = z.infer<typeof RetrySpec>;

const StepId = z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/, 'must start with a lower-case letter and use only a-z, 0-9, "_" and "-"');

export const HttpRequestSpec = z
  .object({
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']).default('GET'),
    url: z.string().min(1),
    headers: z.record(z.string(), z.string()).optional(),
    json: z.unknown().optional(),
    body: z.string().optional(),
  })
  .strict();
export type HttpRequestSpec = z.infer<typeof HttpRequestSpec>;

/** Actions: what a step or a compensation does. */
export const CommandAction = z
  .object({
    type: z.literal('command'),
    command: z.array(z.string()).min(1, 'must name an executable'),
    env: z.record(z.string(), z.string()).optional(),
    expectExitCode: z.number().int().default(0),
  })
  .strict();
export const HttpAction = z
  .object({
    type: z.literal('http'),
    request: HttpRequestSpec,
    /** Accepted status codes; default: any 2xx. */
    expectStatus: z.array(z.number().int().min(100).max(599)).optional(),
  })
  .strict();
export const QueryAction = z
  .object({
    type: z.literal('query'),
    language: z.enum(['promql']).default('promql'),
    query: z.string().min(1),
    /** CEL over `output` (the query result); false fails the step. */
    assert: z.string().optional(),
  })
  .strict();
export const RunbookAction = z
  .object({
    type: z.literal('runbook'),
    runbook: z.string().min(1),
    params: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

export const CompensateAction = z.discriminatedUnion('type', [CommandAction, HttpAction]);
export type CompensateAction = z.infer<typeof CompensateAction>;
export const ForeachAction = z.discriminatedUnion('type', [CommandAction, HttpAction, QueryAction, RunbookAction]);
export type ForeachAction = z.infer<typeof ForeachAction>;

/** Gate output fields the engine sets; an `inputs` entry may not shadow them. */
export const RESERVED_GATE_OUTPUTS: readonly string[] = ['decidedBy', 'via', 'votes', 'digest'];

/** One escalation of an approval gate: after `after` (from when the gate opened), `to` may approve too. */
export const Escalation = z
  .object({
    after: Duration,
    to: z.union([z.object({ roles: z.array(Role).min(1) }).strict(), z.object({ subjects: z.array(z.string().min(1).max(200)).min(1).max(50) }).strict()]),
    /** Emit `approval.escalated` (surfaces notify the new approvers). */
    notify: z.boolean().default(true),
  })
  .strict();
export type Escalation = z.infer<typeof Escalation>;

const stepCommon = {
  id: StepId,
  name: z.string().optional(),
  needs: z.array(z.string()).default([]),
  /** CEL; the step is skipped when it evaluates to false. Skipped counts as satisfied for `needs`. */
  when: z.string().optional(),
  timeout: Duration.optional(),
  retry: RetrySpec.optional(),
  continueOnError: z.boolean().default(false),
  compensate: CompensateAction.optional(),
  /**
   * Safe to cancel and run again from the start: an immediate pause (`?immediate=true`) cancels the
   * step while it runs and starts it afresh on resume. Without it the step finishes first.
   */
  restartable: z.boolean().optional(),
};

/**
 * Where an activity-backed step runs (domain/stepExecution.ts): `local` in the workflow's own worker
 * (no task-queue round trip), `remote` as an ordinary activity. Unset: http and query steps with a
 * timeout of at most 10 s run locally, everything else remotely.
 */
export const StepExecution = z.enum(['local', 'remote']);
export type StepExecution = z.infer<typeof StepExecution>;

export const CommandStep = CommandAction.extend({ ...stepCommon, execution: StepExecution.optional() }).strict();
export const HttpStep = HttpAction.extend({ ...stepCommon, assert: z.string().optional(), execution: StepExecution.optional() }).strict();
export const QueryStep = QueryAction.extend({ ...stepCommon, execution: StepExecution.optional() }).strict();
export const RunbookStep = RunbookAction.extend(stepCommon).strict();
export const ApprovalStep = z
  .object({
    ...stepCommon,
    type: z.literal('approval'),
    message: z.string().optional(),
    approvers: z
      .object({ roles: z.array(Role).min(1).default(['approver']), count: z.number().int().min(1).max(10).default(1) })
      .strict()
      .default({ roles: ['approver'], count: 1 }),
    /** The requester may not approve their own run. */
    fourEyes: z.boolean().default(false),
    /**
     * Values the approver must supply with an approval (typed like params, e.g. a rollout
     * percentage or a change ticket id); later steps read them as `${{ steps.<gate>.output.<name> }}`.
     */
    inputs: z
      .record(z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]{0,62}$/, 'must be an identifier (letters, digits, "_")'), ParamSpec)
      .refine((inputs) => !Object.keys(inputs).some((k) => RESERVED_GATE_OUTPUTS.includes(k)), 'input names must not be one of decidedBy, via, votes, digest')
      .optional(),
    /** After each interval the gate widens who may approve (more roles or named subjects) and says so. */
    escalate: z.array(Escalation).max(10).optional(),
    /** Emit `approval.reminder` every interval while the gate waits. */
    remind: Duration.optional(),
    /** What expiry (`timeout`, default 24h) means: reject (default), approve, or fail the run outright (no compensation skipped). */
    onTimeout: z.enum(['reject', 'approve', 'fail']).optional(),
  })
  .strict();
export const WaitStep = z.object({ ...stepCommon, type: z.literal('wait'), duration: Duration }).strict();
export const ForeachStep = z
  .object({
    ...stepCommon,
    type: z.literal('foreach'),
    /** A `${{ }}` template (or plain CEL) that yields a list; each element is `item`, its position `index`. */
    items: z.union([z.string().min(1), z.array(z.unknown())]),
    concurrency: z.number().int().min(1).max(50).default(4),
    maxItems: z.number().int().min(1).max(1000).default(100),
    step: ForeachAction,
    /** Where each item's activity runs (as for an http/query step; child runbooks are workflows). */
    execution: StepExecution.optional(),
  })
  .strict();

export const Step = z.discriminatedUnion('type', [CommandStep, HttpStep, QueryStep, ApprovalStep, WaitStep, RunbookStep, ForeachStep]);
export type Step = z.infer<typeof Step>;
export type StepType = Step['type'];
export type ApprovalStep = z.infer<typeof ApprovalStep>;
export type ForeachStep = z.infer<typeof ForeachStep>;

export const RunbookName = z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'must be lower-case letters, digits and "-"');

export const RunbookDefinition = z
  .object({
    name: RunbookName,
    description: z.string().default(''),
    params: z.record(z.string(), ParamSpec).default({}),
    concurrency: z.number().int().min(1).max(64).default(4),
    steps: z.array(Step).min(1, 'a runbook needs at least one step'),
  })
  .strict();
export type RunbookDefinition = z.infer<typeof RunbookDefinition>;
/** What authors write (defaults not yet applied). */
export type RunbookDocument = z.input<typeof RunbookDefinition>;
