import { z } from 'zod';
import type { LlmTool } from './types';

/**
 * A tool whose input is defined once, in zod: the JSON Schema sent to the provider is derived from
 * the schema the caller parses the model's input with, so the model is told the same limits the
 * parser enforces. `io: 'input'` describes what may be sent (a plain z.object ignores extra keys,
 * so no `additionalProperties: false`); `$schema` is dropped, the providers take a bare schema.
 */
export function llmTool(name: string, description: string, input: z.ZodType): LlmTool {
  const { $schema: _dialect, ...inputSchema } = z.toJSONSchema(input, { io: 'input' });
  return { name, description, inputSchema };
}

/** The first issue of a failed parse, as a tool_result the model can correct itself from. */
export function toolInputError(error: z.ZodError): string {
  const issue = error.issues[0];
  return `invalid input: ${issue?.path.join('.') || 'input'}: ${issue?.message ?? 'invalid'}`;
}
