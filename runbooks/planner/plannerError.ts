import { CodedError } from '../../domain/codedError';
import type { ValidationIssue } from '../../domain/validationIssue';

/**
 * What the planner refuses, by code (mapped to problem+json in api/errorHandler.ts; chat and MCP
 * quote the message). `issues` name the offending places, rooted at the draft (`definition.steps[1].command[0]`).
 */
export type PlannerErrorCode = 'plan_refused' | 'draft_not_found' | 'draft_not_open' | 'catalogue_file_exists';

export class PlannerError extends CodedError<'planner', PlannerErrorCode> {
  readonly family = 'planner' as const;

  constructor(
    code: PlannerErrorCode,
    message: string,
    readonly issues: readonly ValidationIssue[] = [],
  ) {
    super(code, message);
  }
}
