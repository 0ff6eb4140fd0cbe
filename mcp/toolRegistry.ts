import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ServerNotification, ServerRequest, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import { guardedCall, type CallContext, type ToolPolicy } from './toolCall';

/**
 * Registers one tool whose zod input schema (the REST API's, from api/schemas.ts and friends) the
 * SDK turns into the listed JSON Schema and validates arguments against, and whose zod output
 * schema describes its structured result. Every call goes through guardedCall (roles, errors, audit).
 */
export type ToolExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

export interface ToolSpec<I extends z.ZodObject, O extends z.ZodObject> {
  name: string;
  title: string;
  description: string;
  input: I;
  output: O;
  /** Set truthfully: readOnlyHint for reads; destructiveHint for what changes or stops things. */
  annotations: ToolAnnotations;
  policy: Omit<ToolPolicy, 'tool'>;
}

export function registerGuardedTool<I extends z.ZodObject, O extends z.ZodObject>(
  server: McpServer,
  ctx: CallContext,
  spec: ToolSpec<I, O>,
  run: (args: z.output<I>, extra: ToolExtra) => Promise<z.input<O>>,
): void {
  server.registerTool(
    spec.name,
    { title: spec.title, description: spec.description, inputSchema: spec.input, outputSchema: spec.output, annotations: { title: spec.title, ...spec.annotations } },
    // The SDK has already parsed the arguments with spec.input; the cast only restores that type.
    ((args: unknown, extra: ToolExtra) => guardedCall(ctx, { tool: spec.name, ...spec.policy }, args as Record<string, unknown>, () => run(args as z.output<I>, extra))) as never,
  );
}
