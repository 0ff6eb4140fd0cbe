import type { CompensateAction, ForeachAction, RunbookDefinition } from '../../domain/runbook';
import { hint } from '../../domain/suggest';
import type { PathSegment, RawIssue } from '../../domain/validationIssue';
import { httpBaseOf, type StepTemplates } from './stepTemplates';

/**
 * The "catalogue-only" rule for composed runbooks, on top of validateRunbook: every step is one of
 * the planner's templates (stepTemplates.ts), every command starts an executable the catalogue or
 * COMMAND_ALLOWLIST already admits, every request goes to a base the catalogue already calls, and
 * every child run is a catalogue runbook. Checked when a plan is composed and again when a draft is
 * started or promoted (the catalogue may have changed since). Pure.
 */
function checkAction(action: CompensateAction | ForeachAction, at: PathSegment[], templates: StepTemplates): RawIssue[] {
  if (action.type === 'command') {
    const executable = action.command[0] ?? '';
    if (templates.commands.includes(executable)) return [];
    return [
      {
        path: [...at, 'command', 0],
        message: `"${executable}" is not a catalogue command: composed runbooks may only run ${templates.commands.length ? templates.commands.join(', ') : 'no commands (none in the catalogue or COMMAND_ALLOWLIST)'}`,
      },
    ];
  }
  if (action.type === 'http') {
    const base = httpBaseOf(action.request);
    if (base !== undefined && templates.httpBases.includes(base) && action.request.url.startsWith(base)) return [];
    return [
      {
        path: [...at, 'request', 'url'],
        message: `"${action.request.url}" is not a catalogue endpoint: a composed http step's URL must start with ${templates.httpBases.length ? templates.httpBases.join(' or ') : 'a base used by a catalogue http step (there is none)'}`,
      },
    ];
  }
  if (action.type === 'runbook') {
    const names = templates.runbooks.map((r) => r.name);
    if (names.includes(action.runbook)) return [];
    return [{ path: [...at, 'runbook'], message: `"${action.runbook}" is not a catalogue runbook${hint(action.runbook, names, 'catalogue runbooks')}` }];
  }
  return [];
}

export function checkCatalogueOnly(definition: RunbookDefinition, templates: StepTemplates): RawIssue[] {
  const issues: RawIssue[] = [];
  definition.steps.forEach((step, i) => {
    const at: PathSegment[] = ['steps', i];
    if (!(templates.stepTypes as readonly string[]).includes(step.type)) {
      issues.push({
        path: [...at, 'type'],
        message: `"${step.type}" is not a planner template (allowed: ${templates.stepTypes.join(', ')}); use a catalogue runbook that does it as a child run`,
      });
      return;
    }
    if (step.compensate)
      issues.push({ path: [...at, 'compensate'], message: 'composed steps cannot declare compensations; a catalogue runbook that undoes its change can be used as a child run' });
    if (step.type === 'command' || step.type === 'http' || step.type === 'runbook') issues.push(...checkAction(step, at, templates));
    if (step.type === 'approval') {
      // A composed gate must stay a human decision by people who approve catalogue changes.
      const loose = step.approvers.roles.filter((r) => !templates.gateRoles.includes(r));
      if (loose.length)
        issues.push({ path: [...at, 'approvers', 'roles'], message: `${loose.join(', ')} may not decide a composed gate (allowed: ${templates.gateRoles.join(', ')})` });
      if (step.onTimeout === 'approve') issues.push({ path: [...at, 'onTimeout'], message: 'a composed gate may not approve itself on timeout (use reject or fail)' });
    }
  });
  return issues;
}
