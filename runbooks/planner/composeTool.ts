import { z } from 'zod';
import { llmTool } from '../../llm/toolSchema';
import type { LlmTool } from '../../llm/types';
import { ApprovalStep, CommandStep, HttpStep, ParamSpec, QueryStep, RunbookName, RunbookStep, WaitStep } from '../../domain/runbook';
import type { StepTemplates } from './stepTemplates';

/**
 * The one tool the model composes through (a forced call): a runbook whose steps are the planner's
 * templates. Every step shape is a `pick` of the DSL's own step schema (domain/runbook.ts), so the
 * model is told exactly the fields and limits the runbook parser enforces, and nothing else
 * (no `compensate`, no `foreach`, no `env`). What a field may name (which executable, which URL
 * base, which child runbook) is data from the catalogue: listed in the tool description and
 * enforced by checkCatalogueOnly, which answers a violation with the step path and the allowed values.
 */
export const COMPOSE_TOOL = 'compose_runbook';

const common = { id: true, name: true, needs: true, when: true, timeout: true } as const;

export const TemplateStep = z.discriminatedUnion('type', [
  CommandStep.pick({ ...common, type: true, command: true, retry: true }),
  HttpStep.pick({ ...common, type: true, request: true, expectStatus: true, assert: true, retry: true }),
  QueryStep.pick({ ...common, type: true, query: true, assert: true, retry: true }),
  ApprovalStep.pick({ ...common, type: true, message: true, approvers: true, fourEyes: true, onTimeout: true }),
  WaitStep.pick({ ...common, type: true, duration: true }),
  RunbookStep.pick({ ...common, type: true, runbook: true, params: true }),
]);

export const ComposeInput = z.strictObject({
  name: RunbookName.describe('A new name (lower-case, "-"), not one of the catalogue runbooks'),
  description: z.string().trim().min(1).max(300).describe('One line: what the runbook does'),
  params: z.record(z.string(), ParamSpec).default({}).describe('Parameters, typed like catalogue params (anchor string patterns with ^…$)'),
  steps: z.array(TemplateStep).min(1).max(30),
});
export type ComposeInput = z.infer<typeof ComposeInput>;

export function composeTool(templates: StepTemplates): LlmTool {
  const description = [
    'Compose a runbook for the goal from the step templates only.',
    `Step types: ${templates.stepTypes.join(', ')}.`,
    `A command step's command[0] must be one of: ${templates.commands.join(', ') || '(none)'}; other entries are arguments (argv, no shell).`,
    `An http step's request.url must start with: ${templates.httpBases.join(', ') || '(none: do not use http steps)'}.`,
    `A runbook step starts a catalogue runbook as a child run (it keeps its own approval gates): ${templates.runbooks.map((r) => r.name).join(', ') || '(none)'}.`,
    `Approval gates are decided by: ${templates.gateRoles.join(', ')}; never onTimeout: approve.`,
    'Gate anything that changes production with an approval step that the changing steps need.',
  ].join(' ');
  return llmTool(COMPOSE_TOOL, description, ComposeInput);
}
