import { Duration } from './duration';
import { RunbookDefinition } from './runbook';
import { localExecutionProblem } from './stepExecution';
import { analyzeGraph, type LooseStep, readSteps } from './runbookGraph';
import { checkStepExpressions } from './runbookExpressions';
import { checkParamSpecs } from './paramSpecChecks';
import { hint } from './suggest';
import { formatPath, type RawIssue, type ValidationIssue } from './validationIssue';
import { readYaml } from './yamlLocation';
import { zodIssuesToRaw } from './zodIssues';

export type { ValidationIssue } from './validationIssue';

/**
 * Full validation of a runbook: the zod schema plus everything a schema cannot express (the `needs`
 * graph, CEL and template syntax, references between steps and parameters, parameter specs).
 *
 * Every check runs on the raw document, even when the schema already failed, so an author sees all
 * problems in one pass instead of fixing them one at a time. Pure: the API, the catalogue loader and
 * workflows can all call it.
 */

export interface ValidateRunbookOptions {
  /** Names a `runbook` step may start; without it, targets are not checked. */
  knownRunbooks?: ReadonlySet<string> | readonly string[];
}

export type RunbookValidationResult = { ok: true; definition: RunbookDefinition } | { ok: false; issues: ValidationIssue[] };

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `execution: local` on an action that cannot run as a local activity (domain/stepExecution.ts); other shapes are the schema's to report. */
function localExecutionIssue(kind: unknown, timeout: unknown): string | undefined {
  if (kind !== 'command' && kind !== 'http' && kind !== 'query' && kind !== 'runbook') return undefined;
  if (timeout !== undefined && !Duration.safeParse(timeout).success) return undefined;
  return localExecutionProblem(kind, timeout as string | undefined);
}

/** Steps that only wait have nothing to undo. */
const NOT_COMPENSABLE = new Set(['approval', 'wait']);

function checkStepRules(step: LooseStep, options: ValidateRunbookOptions): RawIssue[] {
  const issues: RawIssue[] = [];
  const at = (...rest: (string | number)[]) => ['steps', step.index, ...rest];
  const raw = step.raw;

  if (step.type && NOT_COMPENSABLE.has(step.type) && raw.compensate !== undefined) {
    issues.push({ path: at('compensate'), message: `${step.type} steps cannot have compensate: they change nothing that could be undone` });
  }

  const requests: [unknown, (string | number)[]][] = [
    [raw.request, ['request']],
    [isRecord(raw.compensate) ? raw.compensate.request : undefined, ['compensate', 'request']],
    [isRecord(raw.step) ? raw.step.request : undefined, ['step', 'request']],
  ];
  for (const [request, path] of requests) {
    if (isRecord(request) && request.json !== undefined && request.body !== undefined) {
      issues.push({ path: at(...path, 'body'), message: 'set json or body, not both' });
    }
  }

  if (raw.execution === 'local') {
    const problem = localExecutionIssue(step.type === 'foreach' && isRecord(raw.step) ? raw.step.type : step.type, raw.timeout);
    if (problem) issues.push({ path: at('execution'), message: problem });
  }

  const known = options.knownRunbooks ? new Set<string>(options.knownRunbooks) : undefined;
  if (known) {
    const targets: [unknown, (string | number)[]][] = [
      [step.type === 'runbook' ? raw.runbook : undefined, ['runbook']],
      [isRecord(raw.step) && raw.step.type === 'runbook' ? raw.step.runbook : undefined, ['step', 'runbook']],
    ];
    for (const [target, path] of targets) {
      if (typeof target === 'string' && target && !known.has(target)) {
        issues.push({ path: at(...path), message: `unknown runbook "${target}"${hint(target, [...known].sort(), 'known runbooks')}` });
      }
    }
  }
  return issues;
}

function collectIssues(input: unknown, options: ValidateRunbookOptions): { issues: RawIssue[]; definition?: RunbookDefinition } {
  const parsed = RunbookDefinition.safeParse(input);
  const issues: RawIssue[] = parsed.success ? [] : zodIssuesToRaw(parsed.error, input, RunbookDefinition);
  if (!isRecord(input)) return { issues };

  issues.push(...checkParamSpecs(input.params));
  const steps = readSteps(input.steps);
  const graph = analyzeGraph(steps);
  issues.push(...graph.issues);

  const paramNames = isRecord(input.params) ? Object.keys(input.params) : [];
  for (const step of steps) {
    issues.push(...checkStepRules(step, options));
    const dependencies = (step.id !== undefined && graph.dependencies.get(step.id)) || new Set<string>();
    issues.push(...checkStepExpressions(step, { paramNames, stepIds: graph.ids, dependencies }));
  }
  return { issues: dedupe(issues), definition: parsed.success ? parsed.data : undefined };
}

function dedupe(issues: RawIssue[]): RawIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${formatPath(issue.path)}\u0000${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function finish(result: { issues: RawIssue[]; definition?: RunbookDefinition }, lineOf?: (path: RawIssue['path']) => number | undefined): RunbookValidationResult {
  if (result.issues.length === 0 && result.definition) return { ok: true, definition: result.definition };
  const issues = result.issues.map((raw): ValidationIssue => {
    const issue: ValidationIssue = { path: formatPath(raw.path), message: raw.message };
    const line = lineOf?.(raw.path);
    if (line !== undefined) issue.line = line;
    if (raw.cycle) issue.cycle = raw.cycle;
    return issue;
  });
  // Document order reads best in an editor; the sort is stable, so issues on one line keep theirs.
  if (lineOf) issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  return { ok: false, issues };
}

/** Validates an already-parsed document (JSON from the API, or YAML parsed elsewhere). */
export function validateRunbook(input: unknown, options: ValidateRunbookOptions = {}): RunbookValidationResult {
  return finish(collectIssues(input, options));
}

/** Parses and validates YAML; every issue carries the line of the offending node. */
export function parseRunbookYaml(text: string, options: ValidateRunbookOptions = {}): RunbookValidationResult {
  const source = readYaml(text);
  if (source.errors.length) {
    return {
      ok: false,
      issues: source.errors.map((err) => ({
        path: '',
        message: `YAML syntax error: ${err.message}`,
        ...(err.line !== undefined ? { line: err.line } : {}),
      })),
    };
  }
  return finish(collectIssues(source.value, options), source.lineOf);
}
