import { hasRole, type Principal } from '../domain/roles';
import type { RunbookDefinition } from '../domain/runbook';
import { resolveParams } from '../domain/runParams';
import { validateRunbook } from '../domain/runbookValidator';
import type { RunbookSource } from './deps';
import { MAX_RUN_PARAMS_BYTES } from './inputRules';
import { HttpProblem, prefixed, validationProblem, type FieldError } from './problem';
import type { StartRunBody } from './schemas';

/**
 * Turns a validated POST /runs body into the exact runbook and params to start, enforcing who may
 * run what: catalogue runbooks need `operator`, inline definitions (arbitrary commands) `admin`.
 */
export interface ResolvedRunRequest {
  runbook: RunbookDefinition;
  params: Record<string, unknown>;
}

function forbidden(role: string, what: string): HttpProblem {
  return new HttpProblem(403, 'forbidden', `${what} requires the "${role}" role`);
}

function issuesUnder(prefix: string, issues: readonly { path: string; message: string }[]): FieldError[] {
  return issues.map((issue) => ({
    // Validators may report paths relative to the document or already rooted at `prefix`.
    path: issue.path === prefix || issue.path.startsWith(`${prefix}.`) || issue.path.startsWith(`${prefix}[`) ? issue.path : prefixed(prefix, issue.path),
    message: issue.message,
  }));
}

/** Inline definitions run arbitrary allow-listed commands: admin only. */
export function requireInlineRole(principal: Principal): void {
  if (!hasRole(principal, 'admin')) throw forbidden('admin', 'starting an inline runbook definition');
}

/**
 * Params travel in the workflow input and every history event that copies it; past this size a run
 * is refused up front rather than wedging in Temporal's payload limits.
 */
function checkParamsSize(params: unknown): void {
  const bytes = Buffer.byteLength(JSON.stringify(params ?? {}));
  if (bytes > MAX_RUN_PARAMS_BYTES) {
    throw new HttpProblem(413, 'params-too-large', `params are ${bytes} bytes as JSON; the limit is ${MAX_RUN_PARAMS_BYTES}`, [
      { path: 'params', message: `must be at most ${MAX_RUN_PARAMS_BYTES} bytes as JSON` },
    ]);
  }
}

export function resolveRunRequest(body: StartRunBody, principal: Principal, catalogue: RunbookSource): ResolvedRunRequest {
  let runbook: RunbookDefinition;
  if (body.definition !== undefined) {
    requireInlineRole(principal);
    const result = validateRunbook(body.definition, { knownRunbooks: catalogue.names() });
    if (!result.ok) throw validationProblem('runbook definition', issuesUnder('definition', result.issues), 422);
    runbook = result.definition;
  } else {
    if (!hasRole(principal, 'operator')) throw forbidden('operator', 'starting a runbook');
    const name = body.runbook ?? '';
    const found = catalogue.get(name);
    if (!found) throw new HttpProblem(404, 'runbook-not-found', `no runbook named "${name}" in the catalogue`);
    runbook = found;
  }
  checkParamsSize(body.params);
  const params = resolveParams(runbook.params, body.params);
  if (!params.ok) throw validationProblem('params', issuesUnder('params', params.issues), 422);
  return { runbook, params: params.params };
}
