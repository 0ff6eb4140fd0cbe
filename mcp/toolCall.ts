import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import { digestInputs, MAX_REASON_CHARS, type AuditLog } from '../audit/auditLog';
import { toProblem } from '../api/errorHandler';
import { hasAnyRole, type Principal, type Role } from '../domain/roles';

/**
 * The one path every MCP tool call takes: the same role check as the REST route it mirrors,
 * the handler (which calls the same services the routes call), the same error mapping
 * (api/errorHandler.ts `toProblem`, so a tool error says what the problem+json would say, with
 * its field paths) and one audit row with surface `mcp`, written whatever the outcome.
 * Arguments reach the handler already validated by the SDK against the tool's zod schema.
 */
export interface CallContext {
  principal: Principal;
  log: Logger;
  audit?: AuditLog;
  /** The HTTP request's x-request-id, so the audit row links to the request log line. */
  requestId?: string;
}

export interface ToolPolicy {
  tool: string;
  /** Any one of these (with domain/roles.ts implications), like requireRole on the route. */
  roles: readonly Role[];
  /** The audit action: the REST action name for mutating tools (`run.start`), `mcp.<tool>` for reads. */
  action: string;
  /** What the call is about, for the audit row (run id, incident id, runbook name). */
  target?: (args: Record<string, unknown>, result: Record<string, unknown> | undefined) => string | undefined;
}

/** A tool answer with a structured result: the SDK checks it against the tool's output schema. */
export function structured(value: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value) }], structuredContent: value };
}

function toolError(text: string): CallToolResult {
  return { content: [{ type: 'text', text }], isError: true };
}

function describeRoles(roles: readonly Role[]): string {
  return roles.length === 1 ? `the "${roles[0]}" role` : `one of the roles ${roles.map((r) => `"${r}"`).join(', ')}`;
}

export async function guardedCall(ctx: CallContext, policy: ToolPolicy, args: Record<string, unknown>, handler: () => Promise<Record<string, unknown>>): Promise<CallToolResult> {
  const record = (outcome: 'ok' | 'refused' | 'failed', statusCode: number, reason: string | null, result?: Record<string, unknown>): void => {
    if (!ctx.audit) return;
    const target = policy.target?.(args, result)?.slice(0, 500) ?? null;
    const entry = {
      subject: ctx.principal.sub,
      roles: [...ctx.principal.roles],
      surface: 'mcp' as const,
      action: policy.action,
      target,
      inputDigest: digestInputs({ tool: policy.tool, arguments: args }),
      outcome,
      reason: reason ? reason.slice(0, MAX_REASON_CHARS) : null,
      statusCode,
      requestId: ctx.requestId ?? null,
    };
    // As in audit/auditMiddleware.ts: an audit write failure is logged loudly, never turned into a failed call.
    ctx.audit.append(entry).catch((err: unknown) => ctx.log.error({ err, audit: entry }, 'AUDIT WRITE FAILED: the action went ahead but its audit row is missing'));
  };

  if (!hasAnyRole(ctx.principal, policy.roles)) {
    const reason = `this action requires ${describeRoles(policy.roles)}`;
    record('refused', 403, reason);
    return toolError(`forbidden: ${reason}`);
  }
  try {
    const result = await handler();
    record('ok', 200, null, result);
    return structured(result);
  } catch (err) {
    const problem = toProblem(err);
    if (!problem || problem.status >= 500) {
      ctx.log.error({ err, tool: policy.tool }, 'MCP tool call failed');
      const detail = problem?.detail ?? 'an unexpected error occurred; the request id identifies it in the server logs';
      record('failed', problem?.status ?? 500, detail);
      return toolError(detail);
    }
    const fields = (problem.errors ?? []).map((e) => `${e.path}: ${e.message}`);
    record('refused', problem.status, problem.detail);
    return toolError([`${problem.type.replace('urn:copilot:problem:', '')}: ${problem.detail}`, ...fields].join('\n'));
  }
}
